// The spawn page: follow the start of the server through the hub's event
// stream and go to the notebooks when it is ready.  Without JavaScript the
// page reloads itself (noscript refresh) and works all the same.
(function () {
	"use strict";
	var box = document.getElementById("spawn");
	if (!box || !window.EventSource) return;
	var user = box.getAttribute("data-user");
	var xsrf = box.getAttribute("data-xsrf");
	var bar = document.getElementById("bar");
	var msg = document.getElementById("message");
	var open = document.getElementById("open");
	var url = "/hub/api/users/" + encodeURIComponent(user) +
	    "/server/progress?_xsrf=" + encodeURIComponent(xsrf);
	var es = new EventSource(url);
	es.onmessage = function (e) {
		var ev;
		try { ev = JSON.parse(e.data); } catch (x) { return; }
		if (typeof ev.progress === "number") bar.value = ev.progress;
		if (ev.message) msg.textContent = ev.message;
		if (ev.ready) {
			es.close();
			open.hidden = false;
			window.location.assign(ev.url || ("/user/" + user + "/"));
		} else if (ev.failed) {
			es.close();
			window.location.reload();	/* the page shows why */
		}
	};
	es.onerror = function () { /* the browser retries by itself */ };
})();
