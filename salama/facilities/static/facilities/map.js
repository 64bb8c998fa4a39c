/* The facilities map: one circle per facility, coloured by its current functionality; a click
   opens the facility's page. Data from the JSON block #map-points ([id, lat, lon,
   functionality, name, Arabic name, code] per facility, compact for 2,000 facilities) and the
   data- attributes of #map (the CSP allows no inline script). With no tile URL the points show
   over a blank background. */
(function () {
  "use strict";
  var colours = { full: "#1e7b45", partial: "#b35c00", none: "#b3261e", unknown: "#5b6670" };
  function start() {
    var element = document.getElementById("map");
    var source = document.getElementById("map-points");
    if (!element || !source || typeof L === "undefined") { return; }
    var points = JSON.parse(source.textContent);
    var arabic = element.dataset.lang === "ar";
    var detail = element.dataset.detailUrl || "";
    var map = L.map(element, { zoomSnap: 1, preferCanvas: points.length > 500 });
    element.leafletMap = map;
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, {
        maxZoom: 18,
        attribution: element.dataset.attribution || ""
      }).addTo(map);
    }
    var layer = L.featureGroup();
    points.forEach(function (p) {
      var colour = colours[p[3]] || colours.unknown;
      var marker = L.circleMarker([p[1], p[2]], {
        radius: 8, color: colour, fillColor: colour, weight: 2, fillOpacity: 0.85
      });
      var span = document.createElement("span");
      span.className = "map-label";
      span.textContent = (arabic ? p[5] : p[4]) + " · " + p[6];
      marker.bindTooltip(span);
      marker.on("click", function () { window.location.href = detail.replace("/0/", "/" + p[0] + "/"); });
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
