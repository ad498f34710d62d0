// The preview's own script: reload when the watcher has a new build (keeping the scroll
// position), and switch the cards between Anki's day and night mode.
(function () {
  "use strict";
  var build = document.documentElement.getAttribute("data-build");
  var frame = document.getElementById("pv-sheet");
  var key = "aipexport-scroll:" + location.pathname;
  function scroller() {
    return frame ? frame.contentWindow : window;
  }
  function restore() {
    var y = sessionStorage.getItem(key);
    if (y !== null && !location.hash) {
      scroller().scrollTo(0, Number(y));
    }
  }
  if (frame) {
    frame.addEventListener("load", restore);
  } else {
    restore();
  }

  var events = new EventSource("/events");
  events.onmessage = function (event) {
    if (event.data === build) {
      return;
    }
    build = event.data;
    sessionStorage.setItem(key, String(scroller().scrollY));
    if (frame) {
      // Under the same bar, only the page in the frame and the bar's text change: loading
      // just those is quicker than loading the whole window again.
      frame.src = "/sheet?build=" + build;
      fetch("/bar").then(function (answer) {
        return answer.text();
      }).then(function (bar) {
        document.getElementById("pv-chrome").innerHTML = bar;
      });
    } else {
      events.close();
      location.reload();
    }
  };

  // Anki marks night mode with .nightMode (desktop, AnkiMobile) and .night_mode (AnkiDroid).
  var night = document.getElementById("pv-night");
  if (night) {
    var apply = function (on) {
      document.body.classList.toggle("nightMode", on);
      document.body.classList.toggle("night_mode", on);
      night.setAttribute("aria-pressed", String(on));
      night.textContent = on ? "Day" : "Night";
    };
    apply(localStorage.getItem("aipexport-night") === "1");
    night.addEventListener("click", function () {
      var on = !document.body.classList.contains("nightMode");
      localStorage.setItem("aipexport-night", on ? "1" : "0");
      apply(on);
    });
  }
})();
