// Live refresh of #path: listen to the student's server-sent events and swap in the
// freshly rendered fragment. Without JavaScript the page is complete as served.
(function () {
  "use strict";
  var path = document.getElementById("path");
  if (!path || !window.EventSource || !window.fetch) { return; }
  var source = new EventSource(path.getAttribute("data-live"));
  var pending = null;
  function refresh() {
    var current = document.getElementById("path");
    fetch(current.getAttribute("data-fragment"), { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var holder = document.createElement("div");
        holder.innerHTML = html;
        var fresh = holder.querySelector("#path");
        if (fresh) {
          var had = current.contains(document.activeElement);
          current.replaceWith(fresh);
          fresh.setAttribute("data-refreshed", String(Date.now()));
          if (had) { fresh.setAttribute("tabindex", "-1"); fresh.focus(); }
        }
      })
      .catch(function () { /* the next update tries again */ });
  }
  source.addEventListener("update", function (event) {
    var data = {};
    try { data = JSON.parse(event.data); } catch (e) { return; }
    if (data.type !== "PathReplanned") { return; }
    if (pending) { clearTimeout(pending); }
    pending = setTimeout(refresh, 150);
  });
})();
