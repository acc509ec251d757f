// pestrack's own script (the CSP allows no inline script). A form that comes back with errors
// puts the focus on its list of problems, so that keyboard and screen-reader users start there;
// each problem links to its field. After a save, the confirmation message gets the focus (without
// scrolling: the page has scrolled to the saved entry, and the message stays on top).
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary[tabindex]");
  if (summary) {
    summary.focus();
    return;
  }
  var message = document.querySelector(".messages[tabindex]");
  if (message) {
    message.focus({preventScroll: true});
  }
});
