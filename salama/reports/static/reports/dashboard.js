/* The dashboard map: one Leaflet map with a layer control (areas, facilities by functionality;
   incidents and movements join when their apps land) and a time slider over the last days
   that recolours the facilities as they were at the end of that day. Data from the JSON
   blocks #dash-data (the CSP allows no inline script). */
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
    var areas = L.featureGroup();
    data.areas.forEach(function (a) {
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
    function paint(day) {
      markers.forEach(function (m) {
        var colour = colours[m.days[day]] || colours.unknown;
        m.marker.setStyle({ color: colour, fillColor: colour });
      });
    }
    areas.addTo(map);
    facilities.addTo(map);
    var labels = JSON.parse(document.getElementById("dash-layers").textContent);
    var overlays = {};
    overlays[labels.areas] = areas;
    overlays[labels.facilities] = facilities;
    L.control.layers(null, overlays, { collapsed: false }).addTo(map);
    var slider = document.getElementById("dash-day");
    var shown = document.getElementById("dash-day-label");
    function onSlide() {
      var day = parseInt(slider.value, 10);
      paint(day);
      shown.textContent = data.days[day];
    }
    slider.addEventListener("input", onSlide);
    onSlide();
    var bounds = L.featureGroup([areas, facilities]).getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 }); } else { map.setView([36.2, 37.16], 12); }
    element.dataset.ready = "1";
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
