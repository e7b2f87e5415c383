// Sorting, filtering and paging for tables marked "sortable": inline, so a report stays one file that works
// offline. Without JavaScript every row shows; with it, a long table shows one page of rows at a time.
(function () {
  function key(cell) {
    var text = cell.textContent.trim();
    var number = parseFloat(text.replace(/,/g, ""));
    return isNaN(number) || !/^[-+.\d]/.test(text) ? text.toLowerCase() : number;
  }
  // Show the rows the filter keeps, one page of them where the table has data-page: called after every change.
  function show(table) {
    var size = parseInt(table.getAttribute("data-page") || "0", 10);
    var kept = Array.prototype.filter.call(table.tBodies[0].rows, function (row) {
      row.hidden = true;
      return row.getAttribute("data-out") === null;
    });
    var pages = size ? Math.max(1, Math.ceil(kept.length / size)) : 1;
    var page = Math.min(parseInt(table.getAttribute("data-at") || "0", 10), pages - 1);
    table.setAttribute("data-at", page);
    kept.forEach(function (row, index) { row.hidden = size > 0 && Math.floor(index / size) !== page; });
    var pager = document.querySelector("[data-pager='" + table.id + "']");
    if (pager) {
      var first = kept.length ? page * size + 1 : 0;
      pager.querySelector("span").textContent = "rows " + first + "-" + Math.min(kept.length, (page + 1) * size) +
        " of " + kept.length;
      pager.querySelector("[data-step='-1']").disabled = page === 0;
      pager.querySelector("[data-step='1']").disabled = page >= pages - 1;
    }
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    table.querySelectorAll("th").forEach(function (header, column) {
      header.tabIndex = 0;
      header.title = "sort by this column";
      function sort() {
        var body = table.tBodies[0];
        var ascending = header.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = key(a.cells[column]), y = key(b.cells[column]);
          if (x === "" || y === "") { return x === "" ? 1 : -1; }   // empty cells last either way
          var order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        table.setAttribute("data-at", 0);
        show(table);
      }
      header.addEventListener("click", sort);
      header.addEventListener("keydown", function (event) { if (event.key === "Enter") { sort(); } });
    });
    show(table);
  });
  document.querySelectorAll("[data-pager]").forEach(function (pager) {
    var table = document.getElementById(pager.getAttribute("data-pager"));
    pager.hidden = false;
    pager.querySelectorAll("button").forEach(function (button) {
      button.addEventListener("click", function () {
        var at = parseInt(table.getAttribute("data-at") || "0", 10);
        table.setAttribute("data-at", at + parseInt(button.getAttribute("data-step"), 10));
        show(table);
      });
    });
    show(table);
  });
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-filter"));
    input.addEventListener("input", function () {
      var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        var text = row.textContent.toLowerCase();
        if (words.every(function (word) { return text.indexOf(word) >= 0; })) {
          row.removeAttribute("data-out");
        } else {
          row.setAttribute("data-out", "");
        }
      });
      table.setAttribute("data-at", 0);
      show(table);
    });
  });
})();
