// pestrack's own script (the CSP allows no inline script). A form that comes back with errors
// puts the focus on its list of problems, so that keyboard and screen-reader users start there;
// each problem links to its field.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.querySelector(".error-summary[tabindex]");
  if (summary) {
    summary.focus();
  }
});
