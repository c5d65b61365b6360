/* CNC Pulse: refuse, before anything is sent, a file larger than the server takes.
 *
 * Every file input carrying data-max-bytes is checked when files are chosen and when its form is
 * submitted. A file over the limit (or files over the limit of one upload together) shows the
 * refusal next to the input, in the words the server translated (data-too-large,
 * data-too-large-total), and the form is not sent. Without this script the server refuses the
 * same files, with the same limits, after receiving them.
 */

const MEBIBYTE = 1024 * 1024;
const INPUTS = "input[type=file][data-max-bytes]";

function megabytes(bytes) {
    // Rounded up, so a file a few bytes over the limit never reads as the limit itself.
    const value = Math.ceil((bytes / MEBIBYTE) * 10) / 10;
    const language = document.documentElement.lang || undefined;
    return value.toLocaleString(language, { maximumFractionDigits: 1 });
}

function fill(template, values) {
    return template.replace(/\{(name|size)\}/g, (whole, key) => values[key] ?? whole);
}

/** Return the refusal for the files chosen in ``input``, or "" when they may be sent. */
function refusalFor(input) {
    const files = Array.from(input.files || []);
    const limit = Number(input.dataset.maxBytes);
    const tooLarge = files.find((file) => file.size > limit);
    if (tooLarge) {
        return fill(input.dataset.tooLarge, { name: tooLarge.name, size: megabytes(tooLarge.size) });
    }
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const totalLimit = Number(input.dataset.maxTotalBytes);
    if (totalLimit && total > totalLimit) {
        return fill(input.dataset.tooLargeTotal, { size: megabytes(total) });
    }
    return "";
}

/** The message's place: right after the input, or after the input group holding it. */
function noticeFor(input) {
    const anchor = input.closest(".input-group") || input;
    let notice = anchor.nextElementSibling;
    if (!notice || !notice.classList.contains("cnc-upload-refusal")) {
        notice = document.createElement("p");
        notice.className = "cnc-upload-refusal text-danger hidden";
        notice.setAttribute("role", "alert");
        anchor.after(notice);
    }
    return notice;
}

/** Show or clear the refusal next to ``input``; return whether its files may be sent. */
function check(input) {
    const refusal = refusalFor(input);
    const notice = noticeFor(input);
    notice.textContent = refusal;
    notice.classList.toggle("hidden", !refusal);
    input.setAttribute("aria-invalid", refusal ? "true" : "false");
    return !refusal;
}

document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches(INPUTS)) {
        check(event.target);
    }
});

// Capturing, on the document: this runs before the forms' own submit handlers, which send the
// files by script and step aside for a submit already prevented.
document.addEventListener(
    "submit",
    (event) => {
        const inputs = Array.from(event.target.querySelectorAll(INPUTS));
        const refused = inputs.filter((input) => !check(input));
        if (refused.length) {
            event.preventDefault();
            refused[0].focus();
        }
    },
    true,
);
