/* Maillage's page behaviours, loaded from our own origin: the Content-Security-Policy refuses inline scripts,
   on*="" handlers, htmx's hx-on and any eval. One delegated listener per behaviour, so that content swapped in by
   htmx behaves like the page it lands in. */
(function () {
  "use strict";

  // <button data-remove-closest=".partner-row">: removes the nearest enclosing element matching the selector.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-closest]");
    if (!button) return;
    var target = button.closest(button.getAttribute("data-remove-closest"));
    if (target) target.remove();
  });

  // <input data-enter-does-not-submit>: Enter in a search-as-you-type field must not submit the enclosing form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.closest && event.target.closest("[data-enter-does-not-submit]")) {
      event.preventDefault();
    }
  });
})();
