// Suggests help articles while a support request is typed: asks /support/suggest after a pause
// and lists the answers above the form. The form works the same without this script.
(function () {
  var text = document.getElementById("support-text");
  var list = document.getElementById("suggestions");
  if (!text || !list) return;
  var timer = null;
  var last = "";
  function show(articles) {
    list.textContent = "";
    var box = document.getElementById("suggestions-box");
    if (box) box.hidden = articles.length === 0;
    articles.forEach(function (a) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.href;
      link.target = "_blank";
      link.textContent = a.title;
      li.appendChild(link);
      list.appendChild(li);
    });
  }
  text.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = text.value.trim();
      if (q === last || q.length < 3) return;
      last = q;
      fetch("/support/suggest?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { articles: [] }; })
        .then(function (body) { show(body.articles || []); })
        .catch(function () {});
    }, 300);
  });
})();
