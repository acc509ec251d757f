// pestrack's own script (the CSP allows no inline script). A form that comes back with errors
// puts the focus on its list of problems, so that keyboard and screen-reader users start there;
// each problem links to its field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary[tabindex]");
  if (summary) {
    summary.focus();
  }
});

// After a save, the confirmation message gets the focus, so that a screen reader reads it first.
// Without scrolling: the page has scrolled to the saved entry (#entry-...) and the message stays
// at the top of the window (pestrack.css). Done once the page has loaded, since the browser's
// scroll to the entry would otherwise take the focus away again.
window.addEventListener("load", function () {
  var message = document.querySelector(".messages[tabindex]");
  if (message && !document.querySelector(".error-summary[tabindex]")) {
    message.focus({preventScroll: true});
  }
});
