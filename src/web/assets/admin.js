// mednum-kit admin pages: progressive enhancement only. Without this file, an upload is an
// ordinary form post and a job's page has a button to see the progress again.

// Upload with a progress bar: the same form, sent by XMLHttpRequest to see the bytes go.
(function () {
  "use strict";
  var form = document.getElementById("envoi");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;
  var bar = document.getElementById("envoi-progression");
  var said = document.getElementById("envoi-etat");
  var input = document.getElementById("paquet");
  form.addEventListener("submit", function (event) {
    var file = input.files && input.files[0];
    if (!file) return;
    event.preventDefault();
    if (file.size > Number(form.dataset.max)) {
      said.textContent = form.dataset.tooBig;
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    bar.hidden = false;
    bar.value = 0;
    said.textContent = form.dataset.sending;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var percent = Math.floor((e.loaded * 100) / e.total);
        bar.value = percent;
        said.textContent = form.dataset.sending + " " + percent + " %";
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status < 400 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);
        return;
      }
      // The kit's own page says what went wrong: show its message here.
      var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var notice = page.querySelector(".notice, main p.lead");
      said.textContent = notice ? notice.textContent : form.dataset.failed;
      button.disabled = false;
      bar.hidden = true;
    });
    xhr.addEventListener("error", function () {
      said.textContent = form.dataset.failed;
      button.disabled = false;
      bar.hidden = true;
    });
    xhr.send(new FormData(form));
  });
})();

// A job's page: the bar moves live, and the page reloads once the job is finished.
(function () {
  "use strict";
  var box = document.getElementById("travail");
  var bar = document.getElementById("travail-progression");
  if (!box || !bar || !window.fetch) return;
  var step = document.getElementById("travail-etape");
  var percent = document.getElementById("travail-pourcent");
  var again = document.getElementById("travail-actualiser");
  if (again) again.hidden = true; // the page follows the job by itself
  function poll() {
    window.fetch(box.dataset.etat, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.finished) { window.location.reload(); return; }
        step.textContent = s.step;
        if (s.percent !== null) {
          bar.value = s.percent;
          percent.textContent = s.percent + " %";
        } else {
          bar.removeAttribute("value");
          percent.textContent = "";
        }
        window.setTimeout(poll, 700);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
})();

// A workshop's dashboard: asks for its numbers every second, and shows the page again when
// they change (a phone came, a step was opened, someone asked for help). Not while the
// conseiller is typing or the page is hidden.
(function () {
  "use strict";
  var board = document.getElementById("tableau");
  if (!board || !window.fetch) return;
  var again = document.getElementById("tableau-actualiser");
  if (again) again.hidden = true;
  var last = null;
  function poll() {
    if (document.hidden || (document.activeElement && document.activeElement.form)) {
      window.setTimeout(poll, 1000);
      return;
    }
    window.fetch(board.dataset.etat, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.text(); })
      .then(function (text) {
        // Times move on their own: only what phones did counts as a change.
        var state = JSON.parse(text);
        var key = JSON.stringify([state.running, state.phones_recent, state.phones_total,
          state.devices && state.devices.map(function (d) { return [d.label, d.opened]; }),
          state.help && state.help.map(function (h) { return h.id; })]);
        if (last !== null && key !== last) { window.location.reload(); return; }
        last = key;
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  poll();
})();
