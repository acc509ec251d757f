/* Draws the results charts with Chart.js. Each <canvas data-chart="ID"> takes its data from the
   <script type="application/json" id="ID"> beside it (Django's json_script). Series differ by
   line dash and point shape as well as by colour, so they can be told apart without colour. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var COLOURS = ["#1f4e79", "#b35900", "#2e7d32", "#6a1b9a", "#555555"];
  var DASHES = [[], [8, 4], [2, 3], [12, 4, 2, 4], [4, 4]];
  var POINTS = ["circle", "triangle", "rect", "rectRot", "crossRot"];

  function style(dataset, i, type) {
    var colour = dataset.target ? "#000000" : COLOURS[i % COLOURS.length];
    dataset.borderColor = colour;
    dataset.backgroundColor = type === "bar" ? colour + "cc" : colour;
    dataset.borderWidth = 2;
    if (type === "line") {
      dataset.borderDash = dataset.target ? [2, 2] : DASHES[i % DASHES.length];
      dataset.pointStyle = dataset.target ? "line" : POINTS[i % POINTS.length];
      dataset.pointRadius = 5;
      dataset.spanGaps = true;
    }
    return dataset;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (d, i) { return style(d, i, spec.type); });
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.type === "bar" && spec.labels.length > 6 ? "y" : "x",
        plugins: {
          legend: { display: datasets.length > 1, labels: { usePointStyle: true } },
          tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.parsed[ctx.chart.options.indexAxis === "y" ? "x" : "y"];
            return ctx.dataset.label + ": " + (v === null ? "–" : v.toLocaleString(document.documentElement.lang)) +
              (spec.unit ? " " + spec.unit : "");
          } } }
        },
        scales: { x: { beginAtZero: spec.type === "bar" }, y: { beginAtZero: spec.type === "bar" } }
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
