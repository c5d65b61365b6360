/* CNC Pulse back office and portal: confirmations before destructive posts, and upload progress bars. */
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

    document.querySelectorAll("form.cnc-upload:not([data-progress])").forEach(function (form) {
        form.addEventListener("submit", function (event) { sendWithProgress(form, event); });
    });

    // A form whose answer is a page (a new project: the project, or the form with its errors)
    // is sent the same way, and the answer replaces the page as a normal submit would.
    function sendAndShow(form, event) {
        var input = form.querySelector("input[type=file]");
        if (!window.FormData || event.defaultPrevented || !input || !input.files.length) {
            return;
        }
        event.preventDefault();
        var progress = form.querySelector(".cnc-progress");
        var bar = progress.querySelector(".progress-bar");
        progress.classList.remove("hidden");
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
        var request = new XMLHttpRequest();
        request.open("POST", form.action);
        request.upload.addEventListener("progress", function (e) {
            if (e.lengthComputable) {
                var percent = Math.round((e.loaded / e.total) * 100);
                bar.style.width = percent + "%";
                bar.textContent = percent + " %";
            }
        });
        request.addEventListener("load", function () {
            document.open();
            document.write(request.responseText);
            document.close();
            history.replaceState(null, "", request.responseURL);
        });
        request.addEventListener("error", function () { form.submit(); });
        request.send(new FormData(form));
    }

    document.querySelectorAll("form[data-progress]").forEach(function (form) {
        form.addEventListener("submit", function (event) { sendAndShow(form, event); });
    });

    // A search leaves its empty fields out of the address: the server reads them as unset
    // anyway, and the address stays short enough to read and to bookmark.
    document.querySelectorAll("form.cnc-search").forEach(function (form) {
        form.addEventListener("submit", function () {
            form.querySelectorAll("input[name], select[name]").forEach(function (field) {
                if (field.value === "") {
                    field.disabled = true;
                }
            });
        });
    });
}());
