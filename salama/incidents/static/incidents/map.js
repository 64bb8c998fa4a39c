/* The incidents map: one circle per area at its centre, sized by its number of incidents (an
   exact place is encrypted and never drawn). Data from #map-points ({area, name, name_ar, lat,
   lon, incidents, killed, injured} per area) and the data- attributes of #map (the CSP allows
   no inline script). With no tile URL the circles show over a blank background. */
(function () {
  "use strict";
  function start() {
    var element = document.getElementById("map");
    var source = document.getElementById("map-points");
    if (!element || !source || typeof L === "undefined") { return; }
    var points = JSON.parse(source.textContent);
    var arabic = element.dataset.lang === "ar";
    var map = L.map(element, { zoomSnap: 1 });
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { maxZoom: 18, attribution: element.dataset.attribution || "" }).addTo(map);
    }
    var layer = L.featureGroup();
    points.forEach(function (p) {
      var marker = L.circleMarker([p.lat, p.lon], {
        radius: Math.min(30, 6 + 3 * Math.sqrt(p.incidents)), color: "#b3261e",
        fillColor: "#b3261e", weight: 2, fillOpacity: 0.5
      });
      var span = document.createElement("span");
      span.className = "map-label";
      span.textContent = (arabic ? (p.name_ar || p.name) : p.name) + " · " + p.incidents +
        " · \u2020" + p.killed + " · +" + p.injured;
      marker.bindTooltip(span);
      layer.addLayer(marker);
    });
    layer.addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
    } else {
      map.setView([36.2, 37.16], 12);
    }
    element.dataset.ready = "1";
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
