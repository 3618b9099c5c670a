// wattplan Plan vs actual charts (uPlot, vendored in static/): one point per slot.
(function () {
  "use strict";
  var charts = {};
  window.wattplan = window.wattplan || {};
  window.wattplan.charts = charts;

  function data() {
    var el = document.getElementById("plan-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function epoch(iso) { return Date.parse(iso) / 1000; }

  function clock(ts, tz) {
    // 24-hour site-local time; the day's name at midnight.
    var when = new Date(ts * 1000);
    var hm = when.toLocaleTimeString("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit" });
    return hm === "00:00" ? when.toLocaleDateString("en-GB", { timeZone: tz, weekday: "short", day: "numeric" }) : hm;
  }

  function shade(doc) {
    // Rule windows and "now", drawn under the series.
    return function (u) {
      var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
      ctx.save();
      ctx.fillStyle = "rgba(242, 169, 0, 0.15)";
      doc.rule_windows.forEach(function (w) {
        var x0 = u.valToPos(epoch(w.start), "x", true), x1 = u.valToPos(epoch(w.end), "x", true);
        ctx.fillRect(x0, top, x1 - x0, height);
      });
      var now = u.valToPos(epoch(doc.now), "x", true);
      ctx.fillStyle = "rgba(197, 34, 31, 0.8)";
      ctx.fillRect(now - 1, top, 2, height);
      ctx.restore();
    };
  }

  function make(id, doc, series, values, unit, atEnd) {
    var el = document.getElementById(id);
    if (!el) { return; }
    if (charts[id]) { charts[id].destroy(); }
    var xs = doc.slots.map(function (s) { return epoch(atEnd ? s.end : s.start); });
    var stepped = uPlot.paths.stepped({ align: 1 });
    var opts = {
      width: Math.max(320, el.clientWidth || 800),
      height: 200,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), doc.timezone); },
      scales: { x: { time: true } },
      axes: [{ values: function (u, splits) { return splits.map(function (ts) { return clock(ts, doc.timezone); }); } },
             { label: unit, size: 60 }],
      hooks: { drawClear: [shade(doc)] },
      series: [{}].concat(series.map(function (s) {
        return { label: s.label, stroke: s.color, width: 2, paths: s.stepped ? stepped : undefined,
                 dash: s.dash, spanGaps: false,
                 value: function (u, v) { return v == null ? "—" : v.toFixed(2) + " " + unit; } };
      })),
    };
    charts[id] = new uPlot(opts, [xs].concat(values), el);
  }

  function column(doc, key) { return doc.slots.map(function (s) { return s[key]; }); }

  function draw() {
    var doc = data();
    if (!doc || typeof uPlot === "undefined") { return; }
    make("chart-prices", doc, [
      { label: "import", color: "#c5221f", stepped: true },
      { label: "export", color: "#1e8e3e", stepped: true },
    ], [column(doc, "import_price"), column(doc, "export_price")], "p/kWh");
    make("chart-battery", doc, [
      { label: "planned", color: "#9aa0a6", stepped: true, dash: [6, 4] },
      { label: "actual", color: "#2e7d32", stepped: true },
    ], [column(doc, "planned_battery_kwh"), column(doc, "actual_battery_kwh")], "kWh");
    make("chart-grid", doc, [
      { label: "planned", color: "#9aa0a6", stepped: true, dash: [6, 4] },
      { label: "actual", color: "#5c6bc0", stepped: true },
    ], [column(doc, "planned_grid_kwh"), column(doc, "actual_grid_kwh")], "kWh");
    make("chart-soe", doc, [
      { label: "planned", color: "#9aa0a6", dash: [6, 4] },
      { label: "measured", color: "#2e7d32" },
    ], [column(doc, "planned_soe_kwh"), column(doc, "actual_soe_kwh")], "kWh", true);
  }

  document.addEventListener("wattplan:refreshed", draw);
  draw();
})();
