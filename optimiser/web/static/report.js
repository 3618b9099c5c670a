// wattplan simulate --report: draw the inlined data with the inlined uPlot.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var colours = ["#2e7d32", "#5c6bc0", "#f2a900", "#c5221f", "#00897b", "#8e24aa", "#6d4c41"];
  var width = function (el) { return Math.max(320, el.clientWidth || 900); };
  window.wattplanReport = { charts: [] };

  function clock(u, splits) {
    // 24-hour time in the viewer's zone; the day at midnight.
    return splits.map(function (ts) {
      var when = new Date(ts * 1000);
      var hm = when.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
      return hm === "00:00" ? when.toLocaleDateString("en-GB", { weekday: "short", day: "numeric", month: "short" }) : hm;
    });
  }

  function fmt(unit) { return function (u, v) { return v == null ? "—" : v.toFixed(2) + " " + unit; }; }

  document.querySelectorAll(".week-soe").forEach(function (el) {
    var week = data.weeks[el.getAttribute("data-tariff")];
    if (!week) { return; }
    var names = Object.keys(week).filter(function (k) { return k.indexOf("soe_kwh:") === 0; });
    var series = [{}].concat(names.map(function (k, i) {
      return { label: k.slice(8), stroke: colours[i % colours.length], width: 2, value: fmt("kWh") };
    }));
    window.wattplanReport.charts.push(new uPlot({ width: width(el), height: 220, series: series,
      axes: [{ values: clock }, { label: "kWh", size: 60 }] },
      [week.epoch_s].concat(names.map(function (k) { return week[k]; })), el));
  });

  document.querySelectorAll(".week-prices").forEach(function (el) {
    var week = data.weeks[el.getAttribute("data-tariff")];
    if (!week) { return; }
    var stepped = uPlot.paths.stepped({ align: 1 });
    window.wattplanReport.charts.push(new uPlot({ width: width(el), height: 160,
      series: [{}, { label: "import", stroke: "#c5221f", paths: stepped, value: fmt("p/kWh") },
               { label: "export", stroke: "#1e8e3e", paths: stepped, value: fmt("p/kWh") }],
      axes: [{ values: clock }, { label: "p/kWh", size: 60 }] },
      [week.epoch_s, week.import_price, week.export_price], el));
  });

  var el = document.getElementById("chart-months");
  var rows = data.months.filter(function (r) { return r.strategy === "wattplan"; });
  if (el && rows.length) {
    var months = Array.from(new Set(rows.map(function (r) { return r.month; }))).sort();
    var tariffs = Array.from(new Set(rows.map(function (r) { return r.tariff; })));
    var xs = months.map(function (m, i) { return i; });
    var bars = uPlot.paths.bars({ size: [0.6, 60] });
    var series = [{ label: "month", value: function (u, v) { return v == null ? "" : months[v]; } }]
      .concat(tariffs.map(function (t, i) {
        return { label: t + " (wattplan)", stroke: colours[i % colours.length],
                 fill: colours[i % colours.length] + "55", paths: bars, value: fmt("£") };
      }));
    var values = tariffs.map(function (t) {
      return months.map(function (m) {
        var row = rows.find(function (r) { return r.month === m && r.tariff === t; });
        return row ? row.saving_gbp : null;
      });
    });
    window.wattplanReport.charts.push(new uPlot({ width: width(el), height: 240, series: series,
      scales: { x: { time: false, range: [-0.5, months.length - 0.5] },
                y: { range: function (u, min, max) { return [Math.min(0, min), Math.max(0, max) * 1.1]; } } },
      axes: [{ values: function (u, splits) { return splits.map(function (i) { return months[i] || ""; }); } },
             { label: "£ saved", size: 60 }] },
      [xs].concat(values), el));
  }
})();
