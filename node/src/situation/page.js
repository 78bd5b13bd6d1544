// Shoal situation page: fetches /api/v1/situation with the API token and draws every
// section with hand-written inline SVG (no libraries). Untrusted text (labels from other
// publishers) is only ever set as textContent, never parsed as HTML.
"use strict";

(function () {
  var SVGNS = "http://www.w3.org/2000/svg";
  var TOKEN_KEY = "shoal-api-token";
  var POLL_MS = 5000;
  var state = { token: null, data: null, selected: null, graph: null, timer: null, polls: 0, busy: false };

  // ---- errors: every uncaught error is recorded in #errors (the browser test reads it).
  function recordError(msg) {
    var el = document.getElementById("errors");
    if (!el) { return; }
    el.hidden = false;
    el.textContent += String(msg) + "\n";
  }
  window.onerror = function (msg, src, line, col) {
    recordError("error: " + msg + (line ? " (" + src + ":" + line + ":" + col + ")" : ""));
  };
  document.addEventListener("securitypolicyviolation", function (ev) {
    recordError("content security policy blocked " + ev.blockedURI + " (" + ev.violatedDirective + ")");
  });
  window.addEventListener("unhandledrejection", function (ev) {
    var r = ev.reason;
    recordError("unhandled rejection: " + (r && r.stack ? r.stack : r));
  });

  // ---- DOM helpers
  function $(id) { return document.getElementById(id); }
  function h(tag, attrs) {
    var el = document.createElement(tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }
  function s(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    setAttrs(el, attrs);
    for (var i = 2; i < arguments.length; i++) { append(el, arguments[i]); }
    return el;
  }
  function setAttrs(el, attrs) {
    if (!attrs) { return; }
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) { return; }
      if (k === "text") { el.textContent = String(v); }
      else if (k === "onclick") { el.addEventListener("click", v); }
      else { el.setAttribute(k, String(v)); }
    });
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) { return; }
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  function clear(el) { while (el.firstChild) { el.removeChild(el.firstChild); } return el; }
  function title(text) { return s("title", { text: text }); }

  // ---- number formatting: estimates always with their interval
  function fmtNum(v) {
    if (v === null || v === undefined || !isFinite(v)) { return "–"; }
    var a = Math.abs(v);
    if (a >= 1e6) { return (v / 1e6).toFixed(1) + "M"; }
    if (a >= 1e4) { return (v / 1e3).toFixed(1) + "k"; }
    if (a >= 10 || Number.isInteger(v)) { return String(Math.round(v)); }
    return v.toFixed(1);
  }
  function fmtEst(e) {
    if (!e) { return "–"; }
    if (e.exact) { return fmtNum(e.value); }
    return fmtNum(e.value) + " (" + fmtNum(e.ci_low) + "–" + fmtNum(e.ci_high) + ")";
  }
  function estNode(e) {
    if (!e) { return "–"; }
    if (e.exact) { return fmtNum(e.value); }
    return h("span", null, fmtNum(e.value) + " ", h("span", { "class": "ci", text: "(" + fmtNum(e.ci_low) + "–" + fmtNum(e.ci_high) + ")" }));
  }
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function fmtTime(unix, withDate) {
    var d = new Date(unix * 1000);
    var t = pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
    if (!withDate) { return t; }
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " + t + " UTC";
  }
  function fmtDay(unix) {
    var d = new Date(unix * 1000);
    return pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate());
  }
  function shortKey(hex) { return hex && hex.length > 12 ? hex.slice(0, 8) + "…" + hex.slice(-4) : (hex || ""); }
  function truncate(t, n) { t = String(t || ""); return t.length > n ? t.slice(0, n - 1) + "…" : t; }

  // ---- token handling: URL fragment (#token=...) or the login form; kept in sessionStorage
  function readToken() {
    var m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash || "");
    if (m) {
      var t = decodeURIComponent(m[1]);
      try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* storage may be disabled */ }
      history.replaceState(null, "", window.location.pathname + window.location.search);
      return t;
    }
    try { return sessionStorage.getItem(TOKEN_KEY); } catch (e) { return null; }
  }
  function showLogin(message) {
    state.token = null;
    try { sessionStorage.removeItem(TOKEN_KEY); } catch (e) { /* ignore */ }
    $("main").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
    setLive("signed out", "");
    stopPolling();
  }
  function showMain() {
    $("login").hidden = true;
    $("main").hidden = false;
    $("logout").hidden = false;
  }
  function setLive(text, cls) {
    var el = $("live");
    el.textContent = text;
    el.className = "live" + (cls ? " " + cls : "");
  }

  function api(path) {
    return fetch(path, { headers: { "Authorization": "Bearer " + state.token }, cache: "no-store" })
      .then(function (r) {
        if (r.status === 401) { var e = new Error("unauthorized"); e.unauthorized = true; throw e; }
        return r.json().then(function (body) {
          if (!r.ok) {
            var err = new Error((body && body.error) || ("HTTP " + r.status));
            err.status = r.status;
            throw err;
          }
          return body;
        });
      });
  }

  function windowParams() {
    var range = parseInt($("range").value, 10);
    var bucket = parseInt($("bucket").value, 10);
    var now = Math.floor(Date.now() / 1000);
    var to = Math.ceil(now / bucket) * bucket;
    return "from=" + (to - range) + "&to=" + to + "&bucket=" + bucket;
  }

  // ---- polling
  function stopPolling() { if (state.timer) { clearTimeout(state.timer); state.timer = null; } }
  function schedule() { stopPolling(); state.timer = setTimeout(load, POLL_MS); }

  function load() {
    if (!state.token || state.busy) { return Promise.resolve(); }
    state.busy = true;
    return api("/api/v1/situation?" + windowParams())
      .then(function (data) {
        state.data = data;
        state.polls += 1;
        showMain();
        render(data);
        setLive("live · " + fmtTime(Math.floor(Date.now() / 1000), false) + " UTC", "ok");
        var ids = (data.top_indicators || []).map(function (t) { return t.id; });
        if (!state.selected || ids.indexOf(state.selected) < 0) {
          state.selected = ids.length ? ids[0] : null;
          return loadGraph();
        }
        if (state.polls % 6 === 0) { return loadGraph(); }
        drawGraph();
        return null;
      })
      .then(loadAdvisories)
      .then(function () {
        document.body.dataset.rendered = "true";
      })
      .catch(function (e) {
        if (e && e.unauthorized) { showLogin("The token was refused."); return; }
        setLive("error: " + (e && e.message ? e.message : e), "bad");
        recordError("situation: " + (e && e.message ? e.message : e));
      })
      .then(function () {
        state.busy = false;
        if (state.token) { schedule(); }
      });
  }

  function loadGraph() {
    if (!state.selected) { state.graph = null; drawGraph(); return Promise.resolve(); }
    var id = state.selected;
    return api("/api/v1/situation/graph/" + encodeURIComponent(id) + "?depth=2")
      .then(function (g) { if (id === state.selected) { state.graph = g; drawGraph(); } })
      .catch(function (e) {
        if (e && e.unauthorized) { throw e; }
        if (e && e.status === 404) { state.graph = { nodes: [], edges: [] }; drawGraph(); return; }
        throw e;
      });
  }

  // ---- rendering
  function render(d) {
    renderCards(d);
    renderSightings(d);
    renderTypes(d);
    renderForecast(d);
    renderBars($("sectors"), d.sectors || []);
    renderBars($("regions"), d.regions || []);
    renderTop(d);
    renderBreakdowns(d);
    renderAssets(d);
    var q = d.query || {};
    $("node-sub").textContent = fmtTime(q.from_unix, true) + " → " + fmtTime(q.to_unix, true) +
      " · " + (d.held || 0) + " items held";
  }

  function overallSightings(d) {
    var list = (d.sightings && d.sightings.series) || [];
    var names = ["all", "total", "overall", "sightings"];
    for (var i = 0; i < list.length; i++) {
      if (names.indexOf(String(list[i].key).toLowerCase()) >= 0) { return list[i]; }
    }
    return list.length ? list[0] : null;
  }

  function stat(k, v, extraClass) {
    return h("div", { "class": "stat" + (extraClass ? " " + extraClass : "") }, h("div", { "class": "k", text: k }), h("div", { "class": "v" }, v));
  }
  function renderCards(d) {
    var el = clear($("cards"));
    var overall = overallSightings(d);
    var total = overall ? overall.total : null;
    var sightVal = total ? (total.exact ? fmtNum(total.value) : h("span", null, fmtNum(total.value) + " ", h("span", { "class": "ci", text: "(" + fmtNum(total.ci_low) + "–" + fmtNum(total.ci_high) + ")" }))) : "–";
    append(el, [
      stat("Items in window", fmtNum(d.items)),
      stat("Publishers", fmtNum(d.publishers)),
      stat("Sightings (95 % CI)", sightVal),
      stat("Top indicators", fmtNum((d.top_indicators || []).length)),
      stat("Alerts", fmtNum((d.alerts || []).length), (d.alerts || []).length ? "alerting" : ""),
      stat("Asset matches", fmtNum((d.asset_matches || []).length), (d.asset_matches || []).length ? "alerting" : "")
    ]);
  }

  // A time-series chart. series: [{key, cls, points: [{t, v, lo, hi}], band}];
  // forecast: [{t, v, lo, hi}]; alerts: [{t, v, text}].
  function timeChart(container, opts) {
    var W = Math.max(320, Math.round(container.clientWidth || 800));
    var H = opts.height || 240;
    var m = { l: 48, r: 14, t: 12, b: 26 };
    var q = opts.query;
    var t0 = q.from_unix;
    var t1 = q.to_unix;
    (opts.forecast || []).forEach(function (p) { t1 = Math.max(t1, p.t + q.bucket_secs); });
    var hiV = 0, loV = 0;
    opts.series.forEach(function (sr) {
      sr.points.forEach(function (p) {
        hiV = Math.max(hiV, sr.band ? p.hi : p.v, p.v);
        loV = Math.min(loV, sr.band ? p.lo : p.v, p.v);
      });
    });
    (opts.forecast || []).forEach(function (p) { hiV = Math.max(hiV, p.hi, p.v); loV = Math.min(loV, p.lo, p.v); });
    (opts.alerts || []).forEach(function (a) { hiV = Math.max(hiV, a.v); });
    if (hiV <= loV) { hiV = loV + 1; }
    var step = niceStep((hiV - loV) / 4);
    hiV = Math.ceil(hiV / step) * step;
    loV = Math.floor(loV / step) * step;
    var x = function (t) { return m.l + (t - t0) / Math.max(1, t1 - t0) * (W - m.l - m.r); };
    var y = function (v) { return m.t + (hiV - v) / (hiV - loV) * (H - m.t - m.b); };
    var half = q.bucket_secs / 2;
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": opts.label || "chart" });
    // grid and y ticks
    for (var v = loV; v <= hiV + step / 2; v += step) {
      svg.appendChild(s("line", { "class": "gridline", x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
      svg.appendChild(s("text", { "class": "tick", x: m.l - 6, y: y(v) + 4, "text-anchor": "end", text: fmtNum(v) }));
    }
    // x ticks
    var span = t1 - t0;
    var nTicks = Math.max(2, Math.floor((W - m.l - m.r) / 110));
    var tStep = niceTimeStep(span / nTicks);
    for (var t = Math.ceil(t0 / tStep) * tStep; t <= t1; t += tStep) {
      svg.appendChild(s("line", { "class": "gridline", x1: x(t), x2: x(t), y1: m.t, y2: H - m.b }));
      svg.appendChild(s("text", { "class": "tick", x: x(t), y: H - 8, "text-anchor": "middle", text: tStep >= 86400 ? fmtDay(t) : (t % 86400 === 0 ? fmtDay(t) : fmtTime(t, false)) }));
    }
    svg.appendChild(s("line", { "class": "axis", x1: m.l, x2: W - m.r, y1: y(0), y2: y(0) }));
    // bands first, then lines
    opts.series.forEach(function (sr) {
      if (!sr.band || !sr.points.length) { return; }
      var up = sr.points.map(function (p) { return [x(p.t + half), y(p.hi)]; });
      var down = sr.points.slice().reverse().map(function (p) { return [x(p.t + half), y(p.lo)]; });
      svg.appendChild(s("path", { "class": "band", d: polyPath(up.concat(down), true) }, title(sr.key + ": 95 % confidence band")));
    });
    opts.series.forEach(function (sr, i) {
      if (!sr.points.length) { return; }
      var pts = sr.points.map(function (p) { return [x(p.t + half), y(p.v)]; });
      svg.appendChild(s("path", { "class": "line " + (sr.cls || "s" + (i % 6)), d: polyPath(pts, false) }));
      sr.points.forEach(function (p) {
        var label = fmtTime(p.t, true) + " · " + sr.key + ": " + (sr.band ? fmtNum(p.v) + " (" + fmtNum(p.lo) + "–" + fmtNum(p.hi) + ")" : fmtNum(p.v));
        svg.appendChild(s("circle", { "class": "pt", cx: x(p.t + half), cy: y(p.v), r: 3.5 }, title(label)));
      });
    });
    // forecast: band and dashed line, joined to the last observed point
    var fc = opts.forecast || [];
    if (fc.length) {
      var last = opts.series.length && opts.series[0].points.length ? opts.series[0].points[opts.series[0].points.length - 1] : null;
      var fpts = fc.map(function (p) { return { t: p.t, v: p.v, lo: p.lo, hi: p.hi }; });
      if (last) { fpts.unshift({ t: last.t, v: last.v, lo: last.v, hi: last.v }); }
      var fup = fpts.map(function (p) { return [x(p.t + half), y(p.hi)]; });
      var fdown = fpts.slice().reverse().map(function (p) { return [x(p.t + half), y(p.lo)]; });
      svg.appendChild(s("path", { "class": "fcband", d: polyPath(fup.concat(fdown), true) }, title("forecast: 95 % prediction interval")));
      svg.appendChild(s("path", { "class": "fcline", d: polyPath(fpts.map(function (p) { return [x(p.t + half), y(p.v)]; }), false) }));
      fc.forEach(function (p) {
        svg.appendChild(s("circle", { "class": "pt", cx: x(p.t + half), cy: y(p.v), r: 3.5 }, title("forecast " + fmtTime(p.t, true) + ": " + fmtNum(p.v) + " (" + fmtNum(p.lo) + "–" + fmtNum(p.hi) + ")")));
      });
      svg.appendChild(s("line", { "class": "nowline", x1: x(q.to_unix), x2: x(q.to_unix), y1: m.t, y2: H - m.b }));
    }
    (opts.alerts || []).forEach(function (a) {
      svg.appendChild(s("circle", { "class": "alert-dot", cx: x(a.t + half), cy: y(a.v), r: 5 }, title(a.text)));
    });
    clear(container).appendChild(svg);
  }
  function niceStep(raw) {
    if (!(raw > 0)) { return 1; }
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
  }
  function niceTimeStep(raw) {
    var steps = [900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 1209600, 2592000];
    for (var i = 0; i < steps.length; i++) { if (steps[i] >= raw) { return steps[i]; } }
    return steps[steps.length - 1];
  }
  function polyPath(pts, close) {
    if (!pts.length) { return ""; }
    var d = "M" + pts.map(function (p) { return p[0].toFixed(1) + "," + p[1].toFixed(1); }).join("L");
    return close ? d + "Z" : d;
  }
  function seriesPoints(sr, q) {
    return (sr.points || []).map(function (e, i) {
      return { t: q.from_unix + i * q.bucket_secs, v: e.value, lo: e.ci_low, hi: e.ci_high, exact: e.exact };
    });
  }
  function legend(el, items) {
    clear(el);
    items.forEach(function (it) {
      append(el, h("span", null, h("span", { "class": "sw " + it.cls }), it.text));
    });
  }

  function renderSightings(d) {
    var q = d.query;
    var overall = overallSightings(d);
    var series = overall ? [{ key: "sightings", cls: "s0", band: true, points: seriesPoints(overall, q) }] : [];
    var fc = d.forecast && d.forecast.points ? d.forecast.points.map(function (p) { return { t: p.bucket_start, v: p.value, lo: p.pi_low, hi: p.pi_high }; }) : [];
    var alerts = (d.alerts || []).map(function (a) { return { t: a.bucket_start, v: a.observed, text: a.message }; });
    timeChart($("chart-sightings"), { query: q, series: series, forecast: fc, alerts: alerts, label: "Sighting volume", height: 260 });
    var items = [{ cls: "f0", text: "sightings (estimate)" }, { cls: "band", text: "95 % confidence band" }];
    if (fc.length) { items.push({ cls: "fc", text: "forecast (" + d.forecast.method + ") with 95 % prediction interval" }); }
    if (alerts.length) { items.push({ cls: "alert", text: alerts.length + " alert" + (alerts.length > 1 ? "s" : "") }); }
    legend($("legend-sightings"), items);
  }

  function breakdown(d, dim) {
    var list = d.breakdowns || [];
    for (var i = 0; i < list.length; i++) { if (list[i].dimension === dim) { return list[i]; } }
    return null;
  }

  function renderTypes(d) {
    var q = d.query;
    var bd = breakdown(d, "type");
    var list = bd ? bd.series.slice(0, 6) : [];
    var series = list.map(function (sr, i) {
      return { key: sr.key, cls: "s" + i, band: !(sr.total && sr.total.exact), points: seriesPoints(sr, q) };
    });
    timeChart($("chart-types"), { query: q, series: series, label: "Items by type", height: 220 });
    legend($("legend-types"), list.map(function (sr, i) { return { cls: "f" + i, text: sr.key + " · " + fmtEst(sr.total) }; }));
  }

  function renderForecast(d) {
    var el = clear($("forecast"));
    var f = d.forecast;
    if (!f || !f.points || !f.points.length) {
      el.appendChild(h("div", { "class": "empty", text: "Not enough history for a forecast yet." }));
    } else {
      el.appendChild(h("div", { "class": "fc-meta", text: f.series + " · " + f.method + " (α " + Number(f.alpha).toFixed(2) + ", β " + Number(f.beta).toFixed(2) + ")" }));
      var tbody = h("tbody");
      f.points.slice(0, 6).forEach(function (p) {
        tbody.appendChild(h("tr", null,
          h("td", { text: fmtTime(p.bucket_start, true) }),
          h("td", { "class": "num" }, fmtNum(p.value) + " ", h("span", { "class": "ci", text: "(" + fmtNum(p.pi_low) + "–" + fmtNum(p.pi_high) + ")" }))));
      });
      el.appendChild(h("table", { "class": "fc-table" }, h("thead", null, h("tr", null, h("th", { text: "Bucket" }), h("th", { "class": "num", text: "Forecast (95 % PI)" }))), tbody));
    }
    var ul = clear($("alerts"));
    var alerts = d.alerts || [];
    if (!alerts.length) {
      ul.appendChild(h("li", { "class": "none", text: "No alerts: every bucket stayed inside its prediction interval." }));
    }
    // The most recent first; the rest are counted.
    var shown = alerts.slice().sort(function (a, b) { return b.bucket_start - a.bucket_start; });
    shown.slice(0, 5).forEach(function (a) {
      ul.appendChild(h("li", null, h("strong", { text: fmtTime(a.bucket_start, true) + " · " }), a.message));
    });
    if (shown.length > 5) {
      ul.appendChild(h("li", { "class": "more", text: "+ " + (shown.length - 5) + " earlier alert" + (shown.length > 6 ? "s" : "") + " (marked on the chart)" }));
    }
  }

  function renderBars(el, rows) {
    clear(el);
    if (!rows.length) { el.appendChild(h("div", { "class": "empty", text: "No estimates in this window." })); return; }
    var W = Math.max(260, Math.round(el.clientWidth || 360));
    var rowH = 26, labelW = Math.min(130, Math.round(W * 0.32)), valueW = 120;
    var H = rows.length * rowH + 6;
    var max = 0;
    rows.forEach(function (r) { max = Math.max(max, r[1].ci_high, r[1].value); });
    if (max <= 0) { max = 1; }
    var x0 = labelW + 6, x1 = W - valueW;
    var x = function (v) { return x0 + Math.max(0, v) / max * (x1 - x0); };
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img" });
    rows.forEach(function (r, i) {
      var e = r[1], yy = i * rowH + 4;
      svg.appendChild(s("text", { "class": "barlabel", x: labelW, y: yy + 15, "text-anchor": "end", text: truncate(r[0], 16) }, title(r[0])));
      svg.appendChild(s("rect", { "class": "bar", x: x0, y: yy + 4, width: Math.max(1, x(e.value) - x0), height: rowH - 10, rx: 3 }, title(r[0] + ": " + fmtEst(e))));
      if (!e.exact) {
        var cy = yy + rowH / 2 - 1;
        svg.appendChild(s("line", { "class": "whisker", x1: x(e.ci_low), x2: x(e.ci_high), y1: cy, y2: cy }));
        svg.appendChild(s("line", { "class": "whisker", x1: x(e.ci_low), x2: x(e.ci_low), y1: cy - 5, y2: cy + 5 }));
        svg.appendChild(s("line", { "class": "whisker", x1: x(e.ci_high), x2: x(e.ci_high), y1: cy - 5, y2: cy + 5 }));
      }
      svg.appendChild(s("text", { "class": "barvalue", x: W - 2, y: yy + 15, "text-anchor": "end", text: fmtEst(e) }));
    });
    el.appendChild(svg);
  }

  function meter(c) {
    var pct = Math.max(0, Math.min(1, c || 0));
    var bar = h("span");
    bar.style.width = (pct * 100).toFixed(0) + "%";
    return h("span", { "class": "meter" + (pct < 0.4 ? " low" : pct < 0.7 ? " mid" : "") }, bar);
  }

  function renderTop(d) {
    var tbody = clear(document.querySelector("#top tbody"));
    var top = d.top_indicators || [];
    if (!top.length) {
      tbody.appendChild(h("tr", null, h("td", { colspan: 6, "class": "empty", text: "No indicators in this window." })));
      return;
    }
    top.forEach(function (t) {
      var btn = h("button", { "class": "link", type: "button", title: t.id, text: truncate(t.label || t.id, 90) });
      btn.addEventListener("click", function () { select(t.id); });
      tbody.appendChild(h("tr", { "class": t.id === state.selected ? "selected" : null, "data-id": t.id },
        h("td", null, btn),
        h("td", null, meter(t.credibility), Number(t.credibility).toFixed(2)),
        h("td", { "class": "num", text: fmtNum(t.sources) }),
        h("td", { "class": "num" }, estNode(t.sightings)),
        h("td", { "class": "num", text: Number(t.score).toFixed(2) }),
        h("td", null,
          t["new"] ? h("span", { "class": "badge new", text: "new" }) : null,
          t.accelerating ? h("span", { "class": "badge acc", text: "accelerating" }) : null)));
    });
  }

  function select(id) {
    state.selected = id;
    document.querySelectorAll("#top tbody tr").forEach(function (tr) {
      tr.className = tr.getAttribute("data-id") === id ? "selected" : "";
    });
    loadGraph().catch(function (e) {
      if (e && e.unauthorized) { showLogin("The token was refused."); return; }
      recordError("graph: " + (e && e.message ? e.message : e));
    });
  }

  var TYPE_CLASS = { "indicator": "f0", "sighting": "f1", "malware": "f4", "attack-pattern": "f2", "vulnerability": "f3", "threat-actor": "f4", "campaign": "f5", "intrusion-set": "f5", "identity": "f1", "tool": "f2" };

  // Leaf sightings of one object are folded into a single "N sightings" node.
  function foldSightings(g, root) {
    var degree = {}, byId = {};
    g.nodes.forEach(function (n) { degree[n.id] = 0; byId[n.id] = n; });
    g.edges.forEach(function (e) { degree[e.source] = (degree[e.source] || 0) + 1; degree[e.target] = (degree[e.target] || 0) + 1; });
    var groups = {};
    g.edges.forEach(function (e) {
      [[e.source, e.target], [e.target, e.source]].forEach(function (pair) {
        var leaf = byId[pair[0]];
        if (leaf && leaf.type === "sighting" && leaf.id !== root && degree[leaf.id] === 1) {
          (groups[pair[1]] = groups[pair[1]] || []).push(leaf.id);
        }
      });
    });
    var folded = {};
    var extraNodes = [], extraEdges = [];
    Object.keys(groups).forEach(function (parent) {
      var ids = groups[parent];
      if (ids.length < 4) { return; }
      ids.forEach(function (id) { folded[id] = true; });
      var gid = "sightings-of:" + parent;
      extraNodes.push({ id: gid, type: "sighting", label: ids.length + " sightings", group: true });
      extraEdges.push({ source: gid, target: parent, relationship: "sighting-of" });
    });
    return {
      nodes: g.nodes.filter(function (n) { return !folded[n.id]; }).concat(extraNodes),
      edges: g.edges.filter(function (e) { return !folded[e.source] && !folded[e.target]; }).concat(extraEdges)
    };
  }

  function drawGraph() {
    var el = $("graph");
    clear(el);
    if (!state.selected) { $("graph-title").textContent = "no indicator selected"; el.appendChild(h("div", { "class": "empty", text: "No indicators in this window." })); return; }
    $("graph-title").textContent = state.selected + " · 2 hops";
    var raw = state.graph;
    if (!raw || !raw.nodes || !raw.nodes.length) { el.appendChild(h("div", { "class": "empty", text: "No relationships known for this item." })); return; }
    var g = foldSightings(raw, state.selected);
    // Radial layout by BFS depth from the selected item; children ordered by parent angle.
    var adj = {};
    g.nodes.forEach(function (n) { adj[n.id] = []; });
    g.edges.forEach(function (e) {
      if (adj[e.source] && adj[e.target]) { adj[e.source].push(e.target); adj[e.target].push(e.source); }
    });
    var root = adj[state.selected] ? state.selected : g.nodes[0].id;
    var depth = {}, parent = {}, levels = [[root]];
    depth[root] = 0;
    var frontier = [root];
    while (frontier.length) {
      var next = [];
      frontier.forEach(function (u) {
        adj[u].forEach(function (v) {
          if (depth[v] === undefined) { depth[v] = depth[u] + 1; parent[v] = u; next.push(v); }
        });
      });
      if (next.length) { levels.push(next); }
      frontier = next;
    }
    var orphans = g.nodes.filter(function (n) { return depth[n.id] === undefined; }).map(function (n) { return n.id; });
    if (orphans.length) { levels.push(orphans); orphans.forEach(function (id) { depth[id] = levels.length - 1; }); }
    var W = Math.max(360, Math.round(el.clientWidth || 800));
    var H = Math.round(Math.max(320, Math.min(620, 220 + Math.sqrt(g.nodes.length) * 40)));
    var cx = W / 2, cy = H / 2;
    var rings = Math.max(1, levels.length - 1);
    var rx = Math.max(60, Math.min(W / 2 - 110, (H / 2 - 40) * 2.2)) / rings;
    var ry = (H / 2 - 40) / rings;
    var pos = {}, angle = {};
    levels.forEach(function (lvl, d) {
      if (d === 0) { pos[lvl[0]] = [cx, cy]; angle[lvl[0]] = 0; return; }
      lvl.sort(function (a, b) { return (angle[parent[a]] || 0) - (angle[parent[b]] || 0); });
      lvl.forEach(function (id, i) {
        var a = -Math.PI / 2 + (2 * Math.PI * i) / lvl.length + (d % 2 ? 0 : Math.PI / lvl.length);
        angle[id] = a;
        pos[id] = [cx + Math.cos(a) * rx * d, cy + Math.sin(a) * ry * d];
      });
    });
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "relationship graph" });
    for (var d = 1; d < levels.length; d++) {
      svg.appendChild(s("ellipse", { "class": "ring", cx: cx, cy: cy, rx: rx * d, ry: ry * d }));
    }
    var crowded = g.edges.length > 30;
    g.edges.forEach(function (e) {
      var a = pos[e.source], b = pos[e.target];
      if (!a || !b) { return; }
      svg.appendChild(s("line", { "class": "edge", x1: a[0], y1: a[1], x2: b[0], y2: b[1] }, title(e.relationship)));
      if (!crowded) {
        svg.appendChild(s("text", { "class": "edgelabel", x: (a[0] + b[0]) / 2, y: (a[1] + b[1]) / 2 - 3, "text-anchor": "middle", text: e.relationship }));
      }
    });
    var byId = {};
    g.nodes.forEach(function (n) { byId[n.id] = n; });
    levels.forEach(function (lvl, d) {
      var showLabels = lvl.length <= 24;
      lvl.forEach(function (id) {
        var n = byId[id];
        var p = pos[id];
        if (!n || !p) { return; }
        var center = id === root;
        var r = center ? 11 : n.group ? 10 : 7;
        var node = s("circle", { "class": "node " + (TYPE_CLASS[n.type] || "f5") + (center ? " center" : ""), cx: p[0], cy: p[1], r: r }, title(n.type + ": " + n.label + (n.group ? "" : "\n" + n.id)));
        if (n.type === "indicator" && !center) {
          node.addEventListener("click", function () { select(n.id); });
        }
        svg.appendChild(node);
        if (showLabels || center || n.group) {
          var below = p[1] >= cy;
          svg.appendChild(s("text", { "class": "nodelabel", x: p[0], y: p[1] + (below ? r + 13 : -r - 6), "text-anchor": "middle", text: truncate(n.label || n.id, 26) }));
        }
      });
    });
    el.appendChild(svg);
    var types = {};
    g.nodes.forEach(function (n) { types[n.type] = TYPE_CLASS[n.type] || "f5"; });
    var leg = h("div", { "class": "legend" });
    Object.keys(types).sort().forEach(function (t) { append(leg, h("span", null, h("span", { "class": "sw " + types[t] }), t)); });
    append(leg, h("span", { text: raw.nodes.length + " objects, " + raw.edges.length + " links (leaf sightings folded)" }));
    el.appendChild(leg);
  }

  function spark(sr, q) {
    var pts = seriesPoints(sr, q);
    var W = 90, H = 22;
    var max = 0;
    pts.forEach(function (p) { max = Math.max(max, p.v); });
    if (max <= 0) { max = 1; }
    var xy = pts.map(function (p, i) { return [pts.length > 1 ? i / (pts.length - 1) * W : W / 2, H - 2 - p.v / max * (H - 4)]; });
    var svg = s("svg", { viewBox: "0 0 " + W + " " + H });
    if (xy.length) {
      svg.appendChild(s("path", { "class": "sparkarea", d: polyPath([[xy[0][0], H]].concat(xy, [[xy[xy.length - 1][0], H]]), true) }));
      svg.appendChild(s("path", { "class": "spark", d: polyPath(xy, false) }));
    }
    return svg;
  }

  function renderBreakdowns(d) {
    var el = clear($("breakdowns"));
    var dims = [["technique", "ATT&CK techniques"], ["malware", "Malware"], ["vulnerability", "Vulnerabilities"], ["community", "Communities"]];
    dims.forEach(function (pair) {
      var bd = breakdown(d, pair[0]);
      var box = h("div", { "class": "bd" }, h("h3", { text: pair[1] }));
      var list = bd ? bd.series.slice(0, 8) : [];
      if (!list.length) { box.appendChild(h("div", { "class": "empty", text: "none in this window" })); }
      list.forEach(function (sr) {
        box.appendChild(h("div", { "class": "bd-row" },
          h("span", { "class": "key", title: sr.key, text: sr.key }),
          spark(sr, d.query),
          h("span", { "class": "num", text: fmtEst(sr.total) })));
      });
      el.appendChild(box);
    });
  }

  function renderAssets(d) {
    var inv = d.inventory || {};
    var note;
    if (!inv.configured) { note = "no local inventory configured ([situation] assets)"; }
    else {
      note = "inventory: " + inv.ip_ranges + " IP ranges, " + inv.domains + " domains, " + inv.software + " software, " + inv.cves + " CVEs · local only, never shared";
      if (inv.error) { note += " · reload failed: " + inv.error; }
    }
    $("inventory").textContent = note;
    var tbody = clear(document.querySelector("#assets tbody"));
    var rows = d.asset_matches || [];
    if (!rows.length) {
      tbody.appendChild(h("tr", null, h("td", { colspan: 5, "class": "empty", text: inv.configured ? "No intel touches your assets in this window." : "Configure an asset inventory to see matches." })));
      return;
    }
    rows.forEach(function (m) {
      tbody.appendChild(h("tr", null,
        h("td", null, h("code", { text: m.asset })),
        h("td", null, h("span", { "class": "kind", text: m.kind })),
        h("td", null, h("span", { "class": "kind", text: m.item_type + " " }), truncate(m.label, 90)),
        h("td", { title: m.publisher, text: shortKey(m.publisher) }),
        h("td", { "class": "num", text: m.credibility === null || m.credibility === undefined ? "–" : Number(m.credibility).toFixed(2) })));
    });
  }

  // Advisories (GET /api/v1/advisories): overdue ones are those this node must still
  // acknowledge as mitigated or not affected (`shoal advisory ack`).
  function loadAdvisories() {
    return api("/api/v1/advisories").then(renderAdvisories, function (e) {
      if (e && e.unauthorized) { throw e; }
      recordError("advisories: " + (e && e.message ? e.message : e));
    });
  }

  function renderAdvisories(a) {
    var list = (a && a.advisories) || [];
    $("advisories-note").textContent = a.overdue
      ? a.overdue + " overdue · acknowledge with `shoal advisory ack`"
      : "critical advisories are reminded until acknowledged mitigated or not affected";
    var tbody = clear(document.querySelector("#advisories tbody"));
    if (!list.length) {
      tbody.appendChild(h("tr", null, h("td", { colspan: 5, "class": "empty", text: "No advisories." })));
      return;
    }
    list.forEach(function (x) {
      var acks = x.acks || {};
      tbody.appendChild(h("tr", null,
        h("td", null, h("span", { "class": "kind", text: x.severity + (x.drill ? " · drill" : "") })),
        h("td", { title: x.id + (x.authoritative ? " · from an anchor" : " · from a member") }, truncate(x.title, 90)),
        h("td", null, x.overdue ? h("span", { "class": "badge acc", text: "overdue" }) : null, String(x.deadline || "")),
        h("td", { "class": "num", text: String(acks.total || 0) }),
        h("td", { text: x.own_status || "–" })));
    });
  }

  // ---- wiring
  function start() {
    $("login-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      var t = $("token").value.trim();
      if (!t) { return; }
      try { sessionStorage.setItem(TOKEN_KEY, t); } catch (e) { /* ignore */ }
      state.token = t;
      $("token").value = "";
      $("login-error").textContent = "";
      load();
    });
    $("logout").addEventListener("click", function () { showLogin(""); });
    ["range", "bucket"].forEach(function (id) {
      $(id).addEventListener("change", function () { stopPolling(); load(); });
    });
    var resizeTimer = null;
    window.addEventListener("resize", function () {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(function () { if (state.data) { render(state.data); drawGraph(); } }, 150);
    });
    state.token = readToken();
    if (!state.token) { showLogin(""); return; }
    setLive("loading…", "");
    load();
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
