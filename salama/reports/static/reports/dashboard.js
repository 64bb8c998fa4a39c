/* The dashboard map: one Leaflet map with a layer control (areas with their outlines,
   facilities by functionality, incidents on health care per area, movements in progress from
   origin area to destination area) and a time slider over the last days that recolours the
   facilities as they were at the end of that day. With no tile server the area outlines are
   the background. Data and layer names from the JSON blocks #dash-data and #dash-layers (the
   CSP allows no inline script); what they hold depends on the reader's role (reports/views.py). */
(function () {
  "use strict";
  var colours = { full: "#1e7b45", partial: "#b35c00", none: "#b3261e", unknown: "#5b6670" };
  function start() {
    var element = document.getElementById("dash-map");
    var source = document.getElementById("dash-data");
    if (!element || !source || typeof L === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var arabic = element.dataset.lang === "ar";
    var map = L.map(element, { zoomSnap: 1 });
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { maxZoom: 18, attribution: element.dataset.attribution || "" }).addTo(map);
    }
    var labels = JSON.parse(document.getElementById("dash-layers").textContent);
    var areas = L.featureGroup();
    data.areas.forEach(function (a) {
      if (a[8]) {
        // The area's own outline: the map is readable with no tile server behind it.
        areas.addLayer(L.geoJSON(a[8], { style: function () {
          return { color: a[7] ? "#b3261e" : "#0b5cad", weight: 2, fillOpacity: 0.08, className: "dash-outline" };
        } }));
      }
      var marker = L.circleMarker([a[0], a[1]], {
        radius: 6 + Math.min(18, Math.sqrt(a[4]) * 2), color: a[7] ? "#b3261e" : "#0b5cad",
        weight: 2, fillOpacity: 0.15
      });
      var span = document.createElement("span");
      span.textContent = (arabic ? a[3] : a[2]) + " · " + a[5] + "/" + a[4];
      marker.bindTooltip(span);
      areas.addLayer(marker);
    });
    var facilities = L.featureGroup();
    var markers = data.facilities.map(function (f) {
      var marker = L.circleMarker([f[1], f[2]], { radius: 7, weight: 2, fillOpacity: 0.85 });
      var span = document.createElement("span");
      span.textContent = (arabic ? f[5] : f[4]) + " · " + f[6];
      marker.bindTooltip(span);
      facilities.addLayer(marker);
      return { marker: marker, days: f[7] };
    });
    function named(item) { return item ? (arabic ? item.name_ar : item.name) : labels.unknown_area; }
    var incidents = L.featureGroup();
    data.incidents.points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: 5 + Math.min(16, Math.sqrt(p.verified + p.reported) * 3), color: "#6a1b9a",
        weight: 2, fillColor: "#6a1b9a", fillOpacity: 0.6, className: "dash-incident"
      });
      // "label: n" reads in both languages whatever the number (no plural forms to choose).
      var parts = [named(p), labels.verified + ": " + p.verified];
      if (p.reported) { parts.push(labels.reported + ": " + p.reported); }
      parts.push(labels.killed + ": " + p.killed, labels.injured + ": " + p.injured);
      var span = document.createElement("span");
      span.textContent = parts.join(" · ");
      marker.bindTooltip(span);
      incidents.addLayer(marker);
    });
    var movements = L.featureGroup();
    data.movements.lines.forEach(function (m) {
      var words = named(m.from) + (arabic ? " ← " : " → ") + named(m.to) + " · " +
        (labels.statuses[m.status] || m.status) + " · " + labels.movement_count + ": " + m.movements +
        " · " + labels.people + ": " + m.people;
      var ends = [m.from, m.to].filter(function (e) { return e; }).map(function (e) { return [e.lat, e.lon]; });
      var style = { color: "#00695c", weight: 3, dashArray: m.status === "under_way" ? null : "6 6", className: "dash-movement" };
      var shape = ends.length === 2 && (ends[0][0] !== ends[1][0] || ends[0][1] !== ends[1][1]) ? L.polyline(ends, style) : L.circleMarker(ends[0], Object.assign({ radius: 6 }, style));
      var span = document.createElement("span");
      span.textContent = words;
      shape.bindTooltip(span);
      movements.addLayer(shape);
      if (m.to) { movements.addLayer(L.circleMarker([m.to.lat, m.to.lon], { radius: 4, color: "#00695c", fillOpacity: 1, weight: 1 })); }
    });
    function paint(day) {
      markers.forEach(function (m) {
        var colour = colours[m.days[day]] || colours.unknown;
        m.marker.setStyle({ color: colour, fillColor: colour });
      });
    }
    areas.addTo(map);
    facilities.addTo(map);
    incidents.addTo(map);
    movements.addTo(map);
    var overlays = {};
    overlays[labels.areas] = areas;
    overlays[labels.facilities] = facilities;
    overlays[labels.incidents] = incidents;
    overlays[labels.movements] = movements;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    var slider = document.getElementById("dash-day");
    var shown = document.getElementById("dash-day-label");
    function onSlide() {
      var day = parseInt(slider.value, 10);
      paint(day);
      shown.textContent = data.days[day];
    }
    if (slider && shown) {
      slider.addEventListener("input", onSlide);
      onSlide();
    }
    var bounds = L.featureGroup([areas, facilities, incidents, movements]).getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 }); } else { map.setView([36.2, 37.16], 12); }
    element.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
