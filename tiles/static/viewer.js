/* Prospect map viewer: layer switcher, opacity, legend, uncertainty toggle, value on click.
   Reads its layers from the JSON in #prospect-config; uses the vendored Leaflet. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("prospect-config").textContent);
  var values = window.PROSPECT_VALUES || {};
  var valueLayers = cfg.layers.filter(function (l) { return l.role !== "uncertainty"; });
  var uncLayers = cfg.layers.filter(function (l) { return l.role === "uncertainty"; });
  var map = L.map("map", { zoomControl: true, attributionControl: true });
  window.prospectMap = map;
  // offline basemap: Natural Earth land and borders (static/basemap.js), never fetched
  map.createPane("basemap").style.zIndex = 150;
  map.createPane("uncertainty").style.zIndex = 450;
  if (window.PROSPECT_BASEMAP) {
    window.prospectBasemap = L.geoJSON(window.PROSPECT_BASEMAP, {
      pane: "basemap", interactive: false,
      style: { color: "#8a8a8a", weight: 0.7, fillColor: "#f3f0e8", fillOpacity: 1 },
      attribution: "Natural Earth"
    }).addTo(map);
  }
  L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
  var coords = document.getElementById("coords");
  map.on("mousemove", function (e) {
    coords.textContent = "lat " + e.latlng.lat.toFixed(5) + ", lon " + e.latlng.lng.toFixed(5);
  });
  if (cfg.outline) {  // the region's land outline (Natural Earth), drawn above the tiles
    window.prospectOutline = L.geoJSON(cfg.outline, {
      style: { color: "#222", weight: 1.2, fill: false }, interactive: false,
      attribution: "Natural Earth"
    }).addTo(map);
  }
  // bounds across the antimeridian have west > east: east counted on past 180
  function across(b) { return b[0] > b[2]; }
  function east(b) { return across(b) ? b[2] + 360 : b[2]; }
  var opacity = document.getElementById("opacity");
  var leaflets = {};
  cfg.layers.forEach(function (l) {
    leaflets[l.name] = L.tileLayer(l.tiles, {
      minZoom: 0, maxZoom: Math.max(l.maxzoom, 18), minNativeZoom: l.minzoom,
      maxNativeZoom: l.maxzoom, opacity: parseFloat(opacity.value),
      // across the antimeridian Leaflet compares tiles east of it by their wrapped
      // bounds, which such bounds would never overlap: no bounds there
      bounds: across(l.bounds) ? undefined
        : L.latLngBounds([l.bounds[1], l.bounds[0]], [l.bounds[3], l.bounds[2]]),
      // Leaflet writes attributions as HTML: the config's is text ("Survey <GSNI> & Mines"
      // lost its "<GSNI>", an <img onerror> in it ran as the viewer's script)
      attribution: escapeHtml(l.attribution || "Prospect") + (l.synthetic || cfg.synthetic ? " (synthetic data)" : ""),
      crossOrigin: false, pane: l.role === "uncertainty" ? "uncertainty" : "tilePane"
    });
  });
  var active = null;
  var showUnc = false;
  var legend = document.getElementById("legend");
  var switcher = document.getElementById("layer-switcher");
  var unc = document.getElementById("uncertainty");

  // a layer of every date of a cube variable (the server's "dates: all") is drawn at the
  // date picked here (its URLs' ?time=), the latest at first; other layers have no dates
  var picked = {};
  var dateRow = document.createElement("label");
  dateRow.id = "date-row"; dateRow.style.display = "none";
  dateRow.appendChild(document.createTextNode("Date "));
  var datePicker = document.createElement("select");
  datePicker.id = "date"; datePicker.setAttribute("aria-label", "date of the map");
  dateRow.appendChild(datePicker);
  switcher.parentNode.insertBefore(dateRow, switcher.nextSibling);
  function dated(url, l) {
    var date = l.dates ? picked[l.name] : undefined;
    if (!url || !date) { return url; }
    return url + (url.indexOf("?") >= 0 ? "&" : "?") + "time=" + encodeURIComponent(date);
  }
  function showDates() {
    datePicker.innerHTML = "";
    var dates = active && active.dates ? active.dates : [];
    dateRow.style.display = dates.length ? "block" : "none";
    dates.forEach(function (d) {
      var option = document.createElement("option");
      option.value = d; option.textContent = d;  // text: never read as HTML
      option.selected = d === picked[active.name];
      datePicker.appendChild(option);
    });
    document.body.dataset.date = dates.length ? picked[active.name] : "";
  }
  cfg.layers.forEach(function (l) {
    if (l.dates && l.dates.length) {
      picked[l.name] = l.date || l.dates.slice().sort()[l.dates.length - 1];
      leaflets[l.name].setUrl(dated(l.tiles, l));
    }
  });
  datePicker.addEventListener("change", function () {
    if (!active || !active.dates) { return; }
    picked[active.name] = datePicker.value;
    leaflets[active.name].setUrl(dated(active.tiles, active));
    document.body.dataset.date = datePicker.value;
    legends();
  });

  function legends() {
    legend.innerHTML = "";
    var shown = [active].concat(showUnc ? uncLayers : []);
    shown.forEach(function (l) {
      if (!l) { return; }
      var img = document.createElement("img");
      img.src = dated(l.legend, l); img.alt = "legend: " + l.title; img.dataset.layer = l.name;
      // a high-density screen draws the legend drawn at twice the pixels, at the same size
      if (l.legend2x) { img.srcset = dated(l.legend, l) + " 1x, " + dated(l.legend2x, l) + " 2x"; }
      legend.appendChild(img);
    });
  }
  function select(name) {
    if (active) { map.removeLayer(leaflets[active.name]); }
    active = cfg.layers.filter(function (l) { return l.name === name; })[0] || null;
    if (active) { leaflets[active.name].addTo(map).bringToBack(); }
    document.body.dataset.activeLayer = active ? active.name : "";
    showDates();
    legends();
  }
  valueLayers.forEach(function (l, i) {
    var label = document.createElement("label");
    var input = document.createElement("input");
    input.type = "radio"; input.name = "layer"; input.value = l.name; input.checked = i === 0;
    input.addEventListener("change", function () { select(l.name); });
    label.appendChild(input); label.appendChild(document.createTextNode(" " + l.title));
    switcher.appendChild(label);
  });
  // uncertainty as a swipe: the value layer stays readable left of the divider
  var swipe = document.getElementById("swipe");
  var divider = L.DomUtil.create("div", "swipe-divider", map.getContainer());
  function clip() {
    var pane = map.getPane("uncertainty");
    divider.style.display = showUnc ? "block" : "none";
    if (!showUnc) { pane.style.clip = ""; return; }
    var size = map.getSize();
    var nw = map.containerPointToLayerPoint([0, 0]);
    var se = map.containerPointToLayerPoint(size);
    var x = size.x * parseFloat(swipe.value);
    pane.style.clip = "rect(" + [nw.y, se.x, se.y, nw.x + x].join("px,") + "px)";
    divider.style.left = x + "px";
  }
  map.on("move zoom resize", clip);
  swipe.addEventListener("input", clip);
  if (!uncLayers.length) {
    document.getElementById("uncertainty-row").style.display = "none";
    document.getElementById("swipe-row").style.display = "none";
  }
  unc.addEventListener("change", function () {
    showUnc = unc.checked;
    uncLayers.forEach(function (l) {
      if (showUnc) { leaflets[l.name].addTo(map); } else { map.removeLayer(leaflets[l.name]); }
    });
    document.body.dataset.uncertainty = showUnc ? "swipe" : "off";
    clip();
    legends();
  });
  opacity.addEventListener("input", function () {
    Object.keys(leaflets).forEach(function (k) { leaflets[k].setOpacity(parseFloat(opacity.value)); });
  });

  var first = valueLayers[0] || uncLayers[0];
  if (first) {
    var b = first.bounds;
    map.fitBounds([[b[1], b[0]], [b[3], east(b)]]);
    if (map.getZoom() < first.minzoom) { map.setZoom(first.minzoom); }
    select(first.name);
  } else {
    map.setView([0, 0], 2);
    document.getElementById("value").textContent = "no layers readable; check the API key";
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function fmt(v, l, note) {
    if (v === null || v === undefined) { return l.title + ": no data"; }
    // a class map's cell: its code and its class's name ("2 (above)")
    var name = l.classes ? l.classes[String(v)] : undefined;
    return l.title + ": " + String(v) + (name ? " (" + name + ")" : "") +
      (l.units ? " " + l.units : "") + (note || "");
  }
  function staticValue(l, lat, lon) {
    var g = values[l.name];
    if (!g) { return undefined; }
    if (across(g.bounds) && lon < g.bounds[0]) { lon += 360; }
    var col = Math.floor((lon - g.bounds[0]) / (east(g.bounds) - g.bounds[0]) * g.width);
    var row = Math.floor((g.bounds[3] - lat) / (g.bounds[3] - g.bounds[1]) * g.height);
    if (col < 0 || row < 0 || col >= g.width || row >= g.height) { return null; }
    return g.data[row * g.width + col];
  }
  // /point's answer; a whole number past 2^53 (an Int64 unit id) kept as the digits the
  // server wrote: JSON.parse reads it as the nearest double, another unit's id
  function pointAnswer(text) {
    var j = JSON.parse(text);
    var digits = /"value": *(-?[0-9]+) *[,}]/.exec(text);
    if (digits && typeof j.value === "number" && !Number.isSafeInteger(j.value)) {
      j.value = digits[1];
    }
    return j;
  }
  function lookup(l, lat, lon) {
    if (l.point) {
      var point = dated(l.point, l);  // a time layer's value at the date shown
      var sep = point.indexOf("?") >= 0 ? "&" : "?";
      return fetch(point + sep + "lon=" + lon.toFixed(6) + "&lat=" + lat.toFixed(6))
        .then(function (r) { return r.text(); })
        .then(function (text) {
          var j = pointAnswer(text);
          return j.error ? l.title + ": " + j.error
            : fmt(j.value, l, l.dates ? " (" + picked[l.name] + ")" : "");
        });
    }
    var v = staticValue(l, lat, lon);
    var g = values[l.name];
    var note = g && g.cell_m ? " (value of the " + g.cell_m + " m cell)" : "";
    return Promise.resolve(v === undefined ? l.title + ": values need the tile server" : fmt(v, l, note));
  }
  map.on("click", function (e) {
    var shown = [active].concat(showUnc ? uncLayers : []).filter(Boolean);
    var box = document.getElementById("value");
    box.textContent = "…";
    // a click on a world copy (east of 180 once the map is centred on it) asks for the place
    var lng = e.latlng.wrap().lng;
    Promise.all(shown.map(function (l) { return lookup(l, e.latlng.lat, lng); }))
      .then(function (lines) {
        var text = "lat " + e.latlng.lat.toFixed(5) + ", lon " + e.latlng.lng.toFixed(5) + "\n" + lines.join("\n");
        box.textContent = text;
        box.dataset.ready = "1";
        // the lines are text (titles, units, class names and server errors come from the
        // data and config): each is escaped before the popup, which takes HTML
        L.popup().setLatLng(e.latlng).setContent(lines.map(escapeHtml).join("<br>")).openOn(map);
      })
      .catch(function (err) { box.textContent = "value lookup failed: " + err; });
  });
})();
