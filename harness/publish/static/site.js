/* kexue-harness published site: charts from data in the page, and the sample search.
   Classic scripts only (no modules, no fetch), so every page works when opened from a file. */
(function () {
  "use strict";
  if (window.vegaEmbed) {
    document.querySelectorAll(".vega[data-spec]").forEach(function (el) {
      try {
        window.vegaEmbed(el, JSON.parse(el.getAttribute("data-spec")), { actions: false, renderer: "svg" })
          .catch(function (err) { el.textContent = "chart failed: " + err; });
      } catch (err) { el.textContent = "chart failed: " + err; }
    });
  }
  var box = document.getElementById("sample-search");
  var index = window.HARNESS_SAMPLES;
  if (!box || !index) { return; }
  var results = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var shown = 100;
  function search() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    results.textContent = "";
    if (!words.length) { status.textContent = ""; return; }
    var hits = index.filter(function (s) { return words.every(function (w) { return s[3].indexOf(w) >= 0; }); });
    status.textContent = hits.length + " of " + index.length + " samples match" + (hits.length > shown ? " (first " + shown + " listed)" : "");
    hits.slice(0, shown).forEach(function (s) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "page-" + s[2] + ".html#" + s[1];
      a.textContent = s[0];
      li.appendChild(a);
      results.appendChild(li);
    });
  }
  box.addEventListener("input", search);
  if (location.search.indexOf("q=") >= 0) {
    box.value = decodeURIComponent(location.search.split("q=")[1].split("&")[0].replace(/\+/g, " "));
    search();
  }
})();
