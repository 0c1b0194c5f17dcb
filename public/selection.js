// The inventory's row selection, kept across pages and sorts of one search (in
// sessionStorage), with a count of what is selected; and in the mass-edit form, a field
// being filled in ticks its box. Only an enhancement: without it the bulk form still posts
// the ticks of its page, "all on this page" or "all matching".
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function searchKey(form) {
    var params = new URLSearchParams(form.getAttribute("data-search") || "");
    ["page", "per", "sort", "dir"].forEach(function (name) { params.delete(name); });
    params.sort();
    return "did-selection:" + params.toString();
  }
  function load(form) {
    try { return new Set(JSON.parse(sessionStorage.getItem(searchKey(form)) || "[]")); } catch (e) { return new Set(); }
  }
  function save(form, selected) {
    try { sessionStorage.setItem(searchKey(form), JSON.stringify(Array.from(selected))); } catch (e) { /* storage full or off: the page still works */ }
  }
  function rowBoxes(form) { return Array.prototype.slice.call(form.querySelectorAll('input[name="id"][type="checkbox"]')); }

  function render(form) {
    var selected = load(form);
    var boxes = rowBoxes(form);
    var onPage = new Set();
    boxes.forEach(function (box) { box.checked = selected.has(box.value); onPage.add(box.value); });
    var pageBox = form.querySelector("#select-page");
    if (pageBox) {
      // With this script the header box only ticks the rows; the ids themselves are posted.
      pageBox.removeAttribute("name");
      pageBox.checked = boxes.length > 0 && boxes.every(function (box) { return box.checked; });
    }
    var carry = form.querySelector("#selection-carry");
    var elsewhere = Array.from(selected).filter(function (id) { return !onPage.has(id); });
    if (carry) {
      carry.replaceChildren.apply(carry, elsewhere.map(function (id) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "id"; input.value = id;
        return input;
      }));
    }
    var all = form.querySelector("#select-all-matching");
    var count = form.querySelector("#selection-count");
    if (!count) return;
    if (all && all.checked) count.textContent = "All DIDs matching this search are selected.";
    else if (selected.size === 0) count.textContent = "Tick rows to select them.";
    else {
      count.textContent = selected.size.toLocaleString("en-US") + (selected.size === 1 ? " DID selected" : " DIDs selected") +
        (elsewhere.length > 0 ? " (" + elsewhere.length.toLocaleString("en-US") + " on other pages)" : "") + ".";
    }
  }

  function refresh() {
    var form = document.getElementById("bulk");
    if (!form) return;
    // A mass change was just applied to this search: start afresh, once.
    var done = document.querySelectorAll("[data-selection-done]");
    if (done.length > 0) {
      save(form, new Set());
      done.forEach(function (element) { element.removeAttribute("data-selection-done"); });
    }
    render(form);
  }

  // In the mass-edit form, filling in a field ticks its "change" box: what was typed is
  // meant to be changed (an unticked field is left alone by the server).
  document.addEventListener("input", function (event) {
    var target = event.target;
    var field = target && target.closest ? target.closest(".mass-field") : null;
    if (!field || target.matches(".tick input")) return;
    var tick = field.querySelector(".tick input");
    if (tick) tick.checked = true;
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target && target.closest ? target.closest("form#bulk") : null;
    if (!form) return;
    var selected = load(form);
    if (target.name === "id") {
      if (target.checked) selected.add(target.value); else selected.delete(target.value);
    } else if (target.id === "select-page") {
      rowBoxes(form).forEach(function (box) { if (target.checked) selected.add(box.value); else selected.delete(box.value); });
    }
    save(form, selected);
    render(form);
  });
  document.addEventListener("DOMContentLoaded", refresh);
  document.addEventListener("htmx:afterSettle", refresh);
})();
