/* CNC Pulse back office: confirmations before destructive posts, and upload progress bars. */
(function () {
    "use strict";

    document.addEventListener("submit", function (event) {
        var form = event.target;
        var question = form.getAttribute("data-confirm");
        if (question && !window.confirm(question)) {
            event.preventDefault();
        }
    }, true);

    // Files go through XMLHttpRequest, the one browser API that reports upload progress; the
    // server answers with where to go next, and the flashed message waits there.
    function sendWithProgress(form, event) {
        if (!window.FormData || event.defaultPrevented) {
            return;
        }
        event.preventDefault();
        var progress = form.querySelector(".cnc-progress");
        var bar = progress.querySelector(".progress-bar");
        var button = form.querySelector("button[type=submit]");
        var request = new XMLHttpRequest();
        request.open("POST", form.action);
        request.setRequestHeader("Accept", "application/json");
        request.upload.addEventListener("progress", function (e) {
            if (e.lengthComputable) {
                var percent = Math.round((e.loaded / e.total) * 100);
                bar.style.width = percent + "%";
                bar.textContent = percent + " %";
            }
        });
        request.addEventListener("load", function () {
            var next = form.action;
            try {
                next = JSON.parse(request.responseText).redirect || next;
            } catch (ignored) {
                next = window.location.href;
            }
            window.location.assign(next);
        });
        request.addEventListener("error", function () {
            window.location.reload();
        });
        progress.classList.remove("hidden");
        button.disabled = true;
        request.send(new FormData(form));
    }

    document.querySelectorAll("form.cnc-upload").forEach(function (form) {
        form.addEventListener("submit", function (event) { sendWithProgress(form, event); });
    });
}());
