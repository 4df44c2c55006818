// mednum-kit practice forms: a draft in the phone's own storage, and the print button.
// Progressive enhancement only: without this file the answers travel in the pages' hidden
// fields and nothing is kept anywhere. The server never sees the draft.
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; store.getItem("x"); } catch (e) { store = null; }
  var key = function (slug) { return "kit-formulaire-" + slug; };
  var forget = function (slug) { if (store) store.removeItem(key(slug)); };

  // Every answer of a form on screen, as [name, value] pairs, and the question shown.
  var snapshot = function (form) {
    var pairs = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.indexOf("r.") !== 0) return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      if (el.value !== "") pairs.push([el.name, el.value]);
    });
    var q = form.elements.namedItem("q");
    return { q: q ? q.value : "", answers: pairs };
  };

  Array.prototype.forEach.call(document.querySelectorAll("[data-erased]"), function (el) {
    forget(el.getAttribute("data-erased"));
  });

  Array.prototype.forEach.call(document.querySelectorAll("form[data-draft]"), function (form) {
    var slug = form.getAttribute("data-draft");
    var save = function () {
      if (store) {
        try { store.setItem(key(slug), JSON.stringify(snapshot(form))); } catch (e) { /* full: no draft */ }
      }
    };
    save();
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (button && button.hasAttribute("data-erase")) forget(slug); else save();
    });
  });

  // The presentation page offers to go on with the draft.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-resume]"), function (form) {
    var slug = form.getAttribute("data-resume");
    var draft = null;
    try { draft = store && JSON.parse(store.getItem(key(slug)) || "null"); } catch (e) { draft = null; }
    if (!draft || !draft.answers || !draft.answers.length) return;
    Array.prototype.forEach.call(form.querySelectorAll(".resume"), function (el) { el.hidden = false; });
    form.addEventListener("submit", function (event) {
      if (!event.submitter || event.submitter.value !== "reprendre") return;
      var add = function (name, value) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = name;
        input.value = value;
        form.appendChild(input);
      };
      draft.answers.forEach(function (pair) { add(pair[0], pair[1]); });
      if (draft.q) add("q", draft.q);
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("button.print"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
