// wattprint dashboard: draw every embedded Plotly figure; no inline script anywhere.
// Each chart is <div class="chart" data-figure="ID"> next to
// <script type="application/json" id="ID">{data, layout, config}</script>.
"use strict";

(function () {
  function drawAll() {
    var boxes = Array.prototype.slice.call(document.querySelectorAll(".chart[data-figure]"));
    var pending = boxes.map(function (box) {
      var source = document.getElementById(box.getAttribute("data-figure"));
      if (!source) {
        return Promise.resolve();
      }
      if (typeof window.Plotly === "undefined") {
        box.textContent = "The chart library (/static/plotly.min.js) did not load.";
        return Promise.resolve();
      }
      var figure = JSON.parse(source.textContent);
      return window.Plotly.newPlot(box, figure.data, figure.layout, figure.config)
        .then(function () { box.setAttribute("data-rendered", "true"); });
    });
    Promise.all(pending).then(function () {
      document.body.setAttribute("data-charts-rendered", "true");
    });
  }

  // Editing a From/To date of a period form means a custom period.
  function linkPeriodForms() {
    document.querySelectorAll("form.filters select[name=period]").forEach(function (select) {
      var form = select.form;
      ["start", "end"].forEach(function (name) {
        var input = form.querySelector("input[name=" + name + "]");
        if (input) {
          input.addEventListener("change", function () { select.value = "custom"; });
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    linkPeriodForms();
    drawAll();
  });
})();
