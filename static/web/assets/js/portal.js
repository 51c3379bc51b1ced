// Ethics Portal: small improvements on pages that work without this file.
// No inline script is allowed by the Content-Security-Policy; everything
// hangs off data- attributes.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // An error summary takes the focus, so that a screen reader announces it
    // and a keyboard user starts from it (its links lead to the fields).
    var summary = document.querySelector("[data-autofocus]");
    if (summary) { summary.focus(); }

    // Print buttons (the receipt page): only shown where JavaScript runs.
    document.querySelectorAll("[data-print]").forEach(function (b) {
      b.hidden = false;
      b.addEventListener("click", function () { window.print(); });
    });

    // Filter forms submit when a select changes, for those who expect it;
    // the submit button stays for everyone else.
    document.querySelectorAll("form[data-autosubmit] select").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });

    // Forms that ask for confirmation before a consequential action.
    document.querySelectorAll("[data-confirm]").forEach(function (el) {
      el.addEventListener("click", function (e) {
        if (!window.confirm(el.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
  });
})();
