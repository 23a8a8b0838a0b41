/* Maillage's page behaviours, loaded from our own origin: the Content-Security-Policy refuses inline scripts,
   on*="" handlers, htmx's hx-on and any eval. One delegated listener per behaviour, so that content swapped in by
   htmx behaves like the page it lands in. */
(function () {
  "use strict";

  // <button data-remove-closest=".partner-row">: removes the nearest enclosing element matching the selector.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-closest]");
    if (!button) return;
    var selector = button.getAttribute("data-remove-closest");
    var target = button.closest(selector);
    if (!target) return;
    // Focus must not fall to <body> (RGAA 7.5, 12.8): it goes to the next row of the same kind, else the
    // previous one, else the enclosing fieldset or form; a live region outside the row says what happened.
    var next = target.nextElementSibling, previous = target.previousElementSibling;
    var sibling = next && next.matches(selector) ? next : previous && previous.matches(selector) ? previous : null;
    var container = target.closest("fieldset, form") || document.getElementById("contenu");
    target.remove();
    var focusable = sibling && sibling.querySelector("input, select, textarea, button");
    if (!focusable && container) {
      if (!container.hasAttribute("tabindex")) container.setAttribute("tabindex", "-1");
      focusable = container;
    }
    if (focusable) focusable.focus();
    var region = document.getElementById("annonces");
    if (region) region.textContent = button.getAttribute("data-removed-message") || "Ligne retirée.";
  });

  // <input data-enter-does-not-submit>: Enter in a search-as-you-type field must not submit the enclosing form.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target.closest && event.target.closest("[data-enter-does-not-submit]")) {
      event.preventDefault();
    }
  });

  // Phones: the header's menu folds behind a button; without JavaScript it stays open (the CSS keys on .js).
  document.documentElement.classList.add("js");
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-menu-toggle]");
    if (!button) return;
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.closest(".site-header").classList.toggle("menu-open", open);
  });

  // A table that scrolls sideways inside its own box is reachable with the keyboard (tabindex) and named by its
  // caption, or by the heading before it (RGAA 12 / axe scrollable-region-focusable). Checked again after swaps.
  function nameOf(table) {
    var caption = table.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var node = table.previousElementSibling;
    while (node && !/^H[1-6]$/.test(node.tagName)) node = node.previousElementSibling;
    return node ? node.textContent.trim() : "Tableau";
  }
  function scrollableTables(root) {
    (root || document).querySelectorAll("table, .table-scroll").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("data-scroll-focus", "");
        if (box.tagName !== "TABLE") box.setAttribute("role", "region");
        var table = box.tagName === "TABLE" ? box : box.querySelector("table");
        if (!box.hasAttribute("aria-label") && !(box === table && table.querySelector("caption"))) {
          box.setAttribute("aria-label", table ? nameOf(table) : "Tableau");
        }
      } else if (!scrolls && box.hasAttribute("data-scroll-focus")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-focus");
      }
    });
  }

  // A failed form: its error summary takes the focus and the page title says so (RGAA 11.10, 8.6).
  function errorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) return;
    if (document.title.indexOf("Erreur") !== 0) document.title = "Erreur dans le formulaire · " + document.title;
    summary.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollableTables(document);
    errorSummary();
  });
  window.addEventListener("resize", function () { scrollableTables(document); });

  // After an htmx swap (board, stage panel…): the messages of the new markup marked [data-announce] are read by
  // the live region #annonces, which is never swapped; focus that the swap took away goes back to the element of
  // the same [data-focus-key] (the moved card) or to the new markup's [data-focus-after-swap] (RGAA 7.5, 12.x).
  var focusKey = null;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var keyed = event.target.closest && event.target.closest("[data-focus-key]");
    focusKey = keyed ? keyed.getAttribute("data-focus-key") : null;
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var messages = [];
    document.querySelectorAll("[data-announce]:not([data-announced])").forEach(function (node) {
      node.setAttribute("data-announced", "");
      messages.push(node.textContent.trim());
    });
    var region = document.getElementById("annonces");
    if (region && messages.length) {
      region.textContent = "";
      window.setTimeout(function () { region.textContent = messages.join(" "); }, 50);
    }
    var active = document.activeElement;
    if (!active || active === document.body || !document.contains(active)) {
      var target = focusKey && document.querySelector('[data-focus-key="' + focusKey + '"]');
      target = target || document.querySelector("[data-focus-after-swap]");
      if (target) {
        var inner = target.matches("[data-focus-key]") && target.querySelector("[data-focus-target]");
        (inner || target).focus();
      }
    }
    focusKey = null;
    scrollableTables(document);
  });
})();
