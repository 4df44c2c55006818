// mednum-kit: progressive enhancement only. Every page works without this file.

// "Copier l'adresse" on the welcome page: the address is in a read-only field a person can
// also select by hand. The clipboard API needs a secure context, which plain http on the
// box is not, so the selection is copied the old way when it is missing.
(function () {
  "use strict";
  var buttons = document.querySelectorAll("button.copy[data-copy]");
  var canCopy = (navigator.clipboard && window.isSecureContext) ||
    (document.queryCommandSupported && document.queryCommandSupported("copy"));
  if (!buttons.length || !canCopy) return;
  Array.prototype.forEach.call(buttons, function (button) {
    var field = document.getElementById(button.dataset.copy);
    if (!field) return;
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () {
        button.textContent = button.dataset.done;
        window.setTimeout(function () { button.textContent = label; }, 3000);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () {});
        return;
      }
      field.focus();
      field.select();
      try { if (document.execCommand("copy")) done(); } catch (e) { /* the field stays selected */ }
    });
  });
})();

// "Écouter" reads a step aloud with the browser's speech synthesis, where it exists, in a
// voice of the text's language (data-lang). A phone that lists its voices and has none for
// that language is told so kindly instead of hearing the text mangled by another voice.
(function () {
  "use strict";
  var synth = window.speechSynthesis;
  if (!synth || typeof window.SpeechSynthesisUtterance !== "function") return;
  var buttons = document.querySelectorAll("button.listen[data-target]");
  // null: the phone does not say which voices it has (then the browser picks).
  var voiceFor = function (lang) {
    var voices = synth.getVoices ? synth.getVoices() : [];
    if (!voices || !voices.length) return null;
    for (var i = 0; i < voices.length; i++) {
      var code = String(voices[i].lang || "").toLowerCase().split(/[-_]/)[0];
      if (code === lang) return voices[i];
    }
    return false;
  };
  Array.prototype.forEach.call(buttons, function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var speaking = button.getAttribute("aria-pressed") === "true";
      synth.cancel();
      Array.prototype.forEach.call(buttons, function (b) {
        b.setAttribute("aria-pressed", "false");
      });
      buttons.forEach(function (b) { b.textContent = b === button && !speaking ? b.dataset.stop : label; });
      if (speaking) return;
      var target = document.getElementById(button.dataset.target);
      if (!target) return;
      var lang = String(button.dataset.lang || "fr").toLowerCase();
      var voice = voiceFor(lang);
      var note = document.querySelector('.listen-note[data-for="' + button.dataset.target + '"]');
      if (voice === false) {
        button.textContent = label;
        if (note) {
          note.textContent = button.dataset.noVoice;
          note.hidden = false;
        }
        return;
      }
      var utterance = new window.SpeechSynthesisUtterance(target.innerText);
      utterance.lang = lang === "fr" ? "fr-FR" : lang;
      if (voice) utterance.voice = voice;
      utterance.rate = 0.9;
      utterance.onend = function () {
        button.setAttribute("aria-pressed", "false");
        button.textContent = label;
      };
      button.setAttribute("aria-pressed", "true");
      synth.speak(utterance);
    });
  });
})();

// A wide table scrolls inside its own box (kit.css): the keyboard must be able to reach it
// to scroll it, which Safari does not allow by itself.
(function () {
  "use strict";
  var tables = document.querySelectorAll("main table");
  if (!tables.length) return;
  var update = function () {
    Array.prototype.forEach.call(tables, function (table) {
      if (table.scrollWidth > table.clientWidth) table.setAttribute("tabindex", "0");
      else table.removeAttribute("tabindex");
    });
  };
  update();
  window.addEventListener("resize", update);
})();
