/* Draws the results charts with Chart.js. Each <canvas data-chart="ID"> takes its data from the
   <script type="application/json" id="ID"> beside it (Django's json_script). Series differ by
   line dash and point shape as well as by colour, so they can be told apart without colour.
   Bars print their value at their end, as the server formatted it (spec.value_labels: the same
   text as the table below), and long category names wrap at spaces instead of being cut off. */
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

  /* A category name in lines of at most ~22 characters, broken at spaces (Chart.js draws an array
     as lines), so a long target group name is shown whole. */
  function wrap(label) {
    var words = String(label).split(" "), lines = [], line = "";
    words.forEach(function (w) {
      if (line && (line + " " + w).length > 22) { lines.push(line); line = w; } else { line = line ? line + " " + w : w; }
    });
    if (line) { lines.push(line); }
    return lines.length > 1 ? lines : label;
  }

  /* Writes each bar's value (the server's text) just past the bar's end. */
  var barValues = {
    id: "pestrackBarValues",
    afterDatasetsDraw: function (chart) {
      var labels = chart.options.plugins.pestrackBarValues && chart.options.plugins.pestrackBarValues.labels;
      if (!labels) { return; }
      var ctx = chart.ctx, horizontal = chart.options.indexAxis === "y";
      ctx.save();
      ctx.fillStyle = "#1a1a1a";
      ctx.font = "12px system-ui, sans-serif";
      chart.getDatasetMeta(0).data.forEach(function (bar, i) {
        var text = labels[i];
        if (!text) { return; }
        if (horizontal) {
          ctx.textAlign = "left"; ctx.textBaseline = "middle";
          ctx.fillText(text, bar.x + 4, bar.y);
        } else {
          ctx.textAlign = "center"; ctx.textBaseline = "bottom";
          ctx.fillText(text, bar.x, bar.y - 4);
        }
      });
      ctx.restore();
    }
  };

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (d, i) { return style(d, i, spec.type); });
    var bar = spec.type === "bar", horizontal = bar && spec.labels.length > 6;
    if (horizontal) {  /* room for every category: about two lines of text per bar */
      canvas.parentNode.style.height = Math.max(18, spec.labels.length * 2.5 + 3) + "rem";
    }
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: bar ? spec.labels.map(wrap) : spec.labels, datasets: datasets },
      plugins: bar ? [barValues] : [],
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? "y" : "x",
        /* room past the longest bar (or above the highest) for its value */
        layout: { padding: bar ? (horizontal ? { right: 72 } : { top: 24 }) : 0 },
        plugins: {
          pestrackBarValues: { labels: spec.value_labels },
          legend: { display: datasets.length > 1, labels: { usePointStyle: true } },
          tooltip: { callbacks: { label: function (ctx) {
            var v = ctx.parsed[ctx.chart.options.indexAxis === "y" ? "x" : "y"];
            return ctx.dataset.label + ": " + (v === null ? "–" : v.toLocaleString(document.documentElement.lang)) +
              (spec.unit ? " " + spec.unit : "");
          } } }
        },
        scales: {
          x: { beginAtZero: bar, ticks: { autoSkip: !bar || horizontal, maxRotation: 0 } },
          y: { beginAtZero: bar, ticks: { autoSkip: !bar || !horizontal } }
        }
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
