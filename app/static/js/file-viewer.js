/* CNC Pulse file viewer: a 3D model (GLB) or a G-code toolpath (CNCPATH1) in every
 * <div class="file-viewer" data-kind="model|toolpath" data-src="…"> of the page.
 *
 * The element's data-label-* attributes carry the translated texts. The viewer draws only on
 * demand (when the view, the progress or the rapids change), so an idle page costs nothing.
 * If WebGL is missing or the file cannot be fetched, the element says so in a sentence and the
 * rest of the page goes on working. Each element ends with data-state="ready", "failed" or
 * "no-webgl".
 */

const THREE_URL = new URL("../vendor/three/three.module.min.js", import.meta.url).href;
const CONTROLS_URL = new URL("../vendor/three/controls/OrbitControls.js", import.meta.url).href;
const GLTF_URL = new URL("../vendor/three/loaders/GLTFLoader.js", import.meta.url).href;

const BACKGROUND = 0xf4f5f7;
const GRID_LINES = 0xc3cfdf;
const GRID_CENTRE = 0x9fb0c8;
const PART_COLOUR = 0xb3aea6; // a warm light grey, apart from the bluish grid
const RAPID_COLOUR = 0x8c8c8c;
const DEFAULT_COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const PLAY_SECONDS = 10;
const MAGIC = "CNCPATH1";
const HEADER_BYTES = 12;

/* Segment kinds of a toolpath point: the kind of the move that ends there. */
const JUMP = 0;
const RAPID = 1;
const CUT = 2;

let counter = 0;

function label(element, name) {
    return element.dataset["label" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
}

function showMessage(element, text, state) {
    const message = document.createElement("p");
    message.className = "file-viewer-message";
    message.setAttribute("role", "alert");
    message.textContent = text;
    element.replaceChildren(message);
    element.dataset.state = state;
}

function hasWebGL2() {
    // three.js renders with WebGL 2 only.
    try {
        const canvas = document.createElement("canvas");
        return Boolean(window.WebGL2RenderingContext && canvas.getContext("webgl2"));
    } catch (error) {
        return false;
    }
}

async function fetchBytes(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) {
        throw new Error(`${url}: HTTP ${response.status}`);
    }
    return response.arrayBuffer();
}

function button(text, className) {
    const node = document.createElement("button");
    node.type = "button";
    node.className = "btn btn-default btn-sm " + className;
    node.textContent = text;
    return node;
}

/* The canvas, its renderer, camera and controls: what both kinds of viewer share. */
function makeStage(THREE, OrbitControls, element, zUp) {
    const stage = document.createElement("div");
    stage.className = "file-viewer-stage";
    const toolbar = document.createElement("div");
    toolbar.className = "file-viewer-toolbar";
    element.replaceChildren(stage, toolbar);

    const renderer = new THREE.WebGLRenderer({ antialias: true });
    renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
    const canvas = renderer.domElement;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", label(element, "canvas"));
    // Focusable so the arrow keys can pan the view (OrbitControls listens on the canvas).
    canvas.tabIndex = 0;
    stage.append(canvas);

    const scene = new THREE.Scene();
    scene.background = new THREE.Color(BACKGROUND);
    const camera = new THREE.PerspectiveCamera(40, 1, 0.1, 1000);
    if (zUp) {
        camera.up.set(0, 0, 1); // machine Z up on screen; set before the controls read it
    }
    const controls = new OrbitControls(camera, canvas);
    controls.listenToKeyEvents(canvas);

    let pending = false;
    function render() {
        if (pending) {
            return;
        }
        pending = true;
        requestAnimationFrame(() => {
            pending = false;
            renderer.render(scene, camera);
        });
    }
    controls.addEventListener("change", render);

    function resize() {
        const width = stage.clientWidth || 1;
        const height = stage.clientHeight || 1;
        renderer.setSize(width, height, false);
        camera.aspect = width / height;
        camera.updateProjectionMatrix();
        render();
    }
    new ResizeObserver(resize).observe(stage);
    resize();

    let home = null;
    /* Look at the box from a corner, as close as keeps all of it in view; remember that view.
     * `points` (flat x, y, z), when given, is what must stay in view instead of the corners. */
    function frame(box, points) {
        const centre = box.getCenter(new THREE.Vector3());
        const radius = Math.max(box.getSize(new THREE.Vector3()).length() / 2, 1e-3);
        const direction = zUp ? new THREE.Vector3(1, -1.4, 1.1) : new THREE.Vector3(1, 0.9, 1.4);
        direction.normalize();
        const corners = [];
        if (points && points.length >= 3) {
            // A sample is enough to frame, and keeps this quick on half a million points.
            const stride = Math.max(1, Math.floor(points.length / 3 / 4000)) * 3;
            for (let i = 0; i < points.length; i += stride) {
                corners.push(new THREE.Vector3(points[i], points[i + 1], points[i + 2]));
            }
        } else {
            for (let i = 0; i < 8; i++) {
                corners.push(
                    new THREE.Vector3(
                        i & 1 ? box.max.x : box.min.x,
                        i & 2 ? box.max.y : box.min.y,
                        i & 4 ? box.max.z : box.min.z,
                    ),
                );
            }
        }
        const projected = new THREE.Vector3();
        function place(distance) {
            camera.position.copy(centre).addScaledVector(direction, distance);
            camera.near = distance / 100;
            camera.far = distance * 100 + radius;
            camera.lookAt(centre);
            camera.updateMatrixWorld();
            camera.updateProjectionMatrix();
        }
        // The bounding sphere always fits; come closer until the box's corners fill ~90 % of
        // the view (a few steps: perspective makes the spread grow faster than 1/distance).
        let distance = radius / Math.sin(THREE.MathUtils.degToRad(camera.fov / 2));
        const sphere = distance;
        for (let step = 0; step < 6; step++) {
            place(distance);
            let spread = 0;
            for (const corner of corners) {
                projected.copy(corner).project(camera);
                spread = Math.max(spread, Math.abs(projected.x), Math.abs(projected.y));
            }
            if (!Number.isFinite(spread) || spread <= 0) {
                distance = sphere;
                break;
            }
            distance = Math.min(sphere, Math.max(distance * (spread / 0.9), radius * 1.05));
        }
        place(distance);
        controls.target.copy(centre);
        controls.update();
        home = { position: camera.position.clone(), target: centre.clone() };
        render();
    }

    const reset = button(label(element, "reset"), "file-viewer-reset");
    reset.addEventListener("click", () => {
        if (home) {
            camera.position.copy(home.position);
            controls.target.copy(home.target);
            controls.update();
            render();
        }
    });
    toolbar.append(reset);

    return { scene, camera, render, frame, toolbar };
}

/* A square grid of round spacing under the part, a little larger than it. */
function gridFor(THREE, width, depth) {
    const span = Math.max(width, depth, 1e-3) * 1.2;
    const step = 10 ** Math.floor(Math.log10(span / 2));
    const cells = Math.ceil(span / step / 2) * 2;
    return new THREE.GridHelper(cells * step, cells, GRID_CENTRE, GRID_LINES);
}

async function mountModel(element, modules) {
    const { THREE, OrbitControls, GLTFLoader } = modules;
    const bytes = await fetchBytes(element.dataset.src);
    const gltf = await new GLTFLoader().parseAsync(bytes, "");
    const stage = makeStage(THREE, OrbitControls, element, false);
    const model = gltf.scene;

    // A primitive without a material gets GLTFLoader's default, a full metal that looks black
    // without an environment map: give it a plain part colour (keeping any vertex colours).
    const json = gltf.parser.json;
    model.traverse((node) => {
        if (!node.isMesh) {
            return;
        }
        const found = gltf.parser.associations.get(node);
        const primitive = found && json.meshes?.[found.meshes]?.primitives?.[found.primitives ?? 0];
        if (!primitive || primitive.material === undefined) {
            const vertexColors = Boolean(node.geometry.attributes.color);
            node.material = new THREE.MeshStandardMaterial({
                color: vertexColors ? 0xffffff : PART_COLOUR,
                vertexColors,
                metalness: 0.1,
                roughness: 0.65,
            });
        }
    });
    stage.scene.add(model);

    // Soft light: the sky from above, and a lamp that follows the camera so no side is dark.
    stage.scene.add(new THREE.HemisphereLight(0xffffff, 0x8d8d8d, 2.2));
    const lamp = new THREE.DirectionalLight(0xffffff, 1.6);
    lamp.position.set(-0.6, 1, 1); // from the viewer's upper left, so the faces read apart
    lamp.target.position.set(0, 0, -1);
    stage.camera.add(lamp, lamp.target);
    stage.scene.add(stage.camera);

    const box = new THREE.Box3().setFromObject(model);
    const size = box.getSize(new THREE.Vector3());
    const grid = gridFor(THREE, size.x, size.z);
    const centre = box.getCenter(new THREE.Vector3());
    grid.position.set(centre.x, box.min.y, centre.z);
    stage.scene.add(grid);
    stage.frame(box);
}

/* Read a CNCPATH1 buffer: positions (mm), the tool index and the segment kind of each point. */
export function parseToolpath(buffer) {
    const head = new Uint8Array(buffer, 0, Math.min(buffer.byteLength, HEADER_BYTES));
    if (head.length < HEADER_BYTES || String.fromCharCode(...head.subarray(0, 8)) !== MAGIC) {
        throw new Error("not a CNCPATH1 toolpath");
    }
    const view = new DataView(buffer);
    const count = view.getUint32(8, true);
    if (buffer.byteLength < HEADER_BYTES + count * 15) {
        throw new Error(`toolpath truncated: ${count} points need ${HEADER_BYTES + count * 15} bytes`);
    }
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
        throw new Error("toolpaths are little-endian; this platform is not");
    }
    const positions = new Float32Array(buffer, HEADER_BYTES, count * 3);
    const tools = new Uint16Array(buffer, HEADER_BYTES + count * 12, count);
    const kinds = new Uint8Array(buffer, HEADER_BYTES + count * 14, count);
    return { count, positions, tools, kinds };
}

/* One line-segment geometry per kind, and for each point how many segments end at or before it. */
function buildSegments(THREE, path, colours) {
    const { count, positions, tools, kinds } = path;
    let cuts = 0;
    let rapids = 0;
    for (let i = 1; i < count; i++) {
        if (kinds[i] === CUT) cuts++;
        else if (kinds[i] === RAPID) rapids++;
    }
    const cutPositions = new Float32Array(cuts * 6);
    const cutColours = new Float32Array(cuts * 6);
    const rapidPositions = new Float32Array(rapids * 6);
    const rapidDistances = new Float32Array(rapids * 2);
    const cutsUpTo = new Uint32Array(count);
    const rapidsUpTo = new Uint32Array(count);
    const palette = colours.map((colour) => new THREE.Color(colour));
    let c = 0;
    let r = 0;
    for (let i = 1; i < count; i++) {
        const a = (i - 1) * 3;
        const b = i * 3;
        if (kinds[i] === CUT) {
            cutPositions.set(positions.subarray(a, b + 3), c * 6);
            const colour = palette[tools[i] % palette.length];
            for (let k = 0; k < 2; k++) {
                cutColours[c * 6 + k * 3] = colour.r;
                cutColours[c * 6 + k * 3 + 1] = colour.g;
                cutColours[c * 6 + k * 3 + 2] = colour.b;
            }
            c++;
        } else if (kinds[i] === RAPID) {
            rapidPositions.set(positions.subarray(a, b + 3), r * 6);
            // Each rapid's dashes start afresh (LineDashedMaterial reads lineDistance).
            const dx = positions[b] - positions[a];
            const dy = positions[b + 1] - positions[a + 1];
            const dz = positions[b + 2] - positions[a + 2];
            rapidDistances[r * 2 + 1] = Math.hypot(dx, dy, dz);
            r++;
        }
        cutsUpTo[i] = c;
        rapidsUpTo[i] = r;
    }
    const cutGeometry = new THREE.BufferGeometry();
    cutGeometry.setAttribute("position", new THREE.BufferAttribute(cutPositions, 3));
    cutGeometry.setAttribute("color", new THREE.BufferAttribute(cutColours, 3));
    const rapidGeometry = new THREE.BufferGeometry();
    rapidGeometry.setAttribute("position", new THREE.BufferAttribute(rapidPositions, 3));
    rapidGeometry.setAttribute("lineDistance", new THREE.BufferAttribute(rapidDistances, 1));
    return { cutGeometry, rapidGeometry, cutsUpTo, rapidsUpTo };
}

function parseColours(element) {
    try {
        const colours = JSON.parse(element.dataset.colours || "[]");
        const valid = colours.filter((c) => typeof c === "string" && /^#[0-9a-f]{6}$/i.test(c));
        return valid.length ? valid : DEFAULT_COLOURS;
    } catch (error) {
        return DEFAULT_COLOURS;
    }
}

async function mountToolpath(element, modules) {
    const { THREE, OrbitControls } = modules;
    const path = parseToolpath(await fetchBytes(element.dataset.src));
    const stage = makeStage(THREE, OrbitControls, element, true);
    const segments = buildSegments(THREE, path, parseColours(element));

    const box = new THREE.Box3();
    box.setFromArray(path.positions);
    if (box.isEmpty()) {
        box.set(new THREE.Vector3(), new THREE.Vector3());
    }
    const size = box.getSize(new THREE.Vector3());
    const dash = Math.max(size.length() / 150, 1e-3);

    const cuts = new THREE.LineSegments(
        segments.cutGeometry,
        new THREE.LineBasicMaterial({ vertexColors: true }),
    );
    const rapids = new THREE.LineSegments(
        segments.rapidGeometry,
        new THREE.LineDashedMaterial({ color: RAPID_COLOUR, dashSize: dash, gapSize: dash * 0.8 }),
    );
    const grid = gridFor(THREE, size.x, size.y);
    grid.rotation.x = Math.PI / 2; // GridHelper lies in XZ; the machine's table is XY
    const centre = box.getCenter(new THREE.Vector3());
    grid.position.set(centre.x, centre.y, box.min.z);
    stage.scene.add(grid, cuts, rapids);

    const id = `file-viewer-${++counter}`;
    const controls = document.createElement("div");
    controls.className = "file-viewer-path-controls";
    const play = button(label(element, "play"), "file-viewer-play");
    const sliderLabel = document.createElement("label");
    sliderLabel.htmlFor = `${id}-progress`;
    sliderLabel.textContent = label(element, "progress");
    const slider = document.createElement("input");
    slider.type = "range";
    slider.id = `${id}-progress`;
    slider.className = "file-viewer-progress";
    slider.min = "0";
    slider.max = "100";
    slider.step = "0.1";
    slider.value = "100";
    const shown = document.createElement("output");
    shown.htmlFor = slider.id;
    const rapidsLabel = document.createElement("label");
    rapidsLabel.className = "file-viewer-rapids";
    const rapidsBox = document.createElement("input");
    rapidsBox.type = "checkbox";
    rapidsBox.checked = true;
    rapidsLabel.append(rapidsBox, " ", label(element, "rapids"));
    controls.append(play, sliderLabel, slider, shown, rapidsLabel);
    stage.toolbar.prepend(controls);

    function show(percent) {
        const last = Math.round((percent / 100) * (path.count - 1));
        const index = Math.max(0, Math.min(path.count - 1, last));
        cuts.geometry.setDrawRange(0, path.count ? segments.cutsUpTo[index] * 2 : 0);
        rapids.geometry.setDrawRange(0, path.count ? segments.rapidsUpTo[index] * 2 : 0);
        const text = `${Math.round(percent)} %`;
        shown.value = text;
        slider.setAttribute("aria-valuetext", text);
        stage.render();
    }

    let playing = null;
    function stop() {
        if (playing !== null) {
            cancelAnimationFrame(playing.frame);
            playing = null;
        }
        play.textContent = label(element, "play");
        play.setAttribute("aria-pressed", "false");
    }
    function start() {
        if (Number(slider.value) >= 100) {
            slider.value = "0";
        }
        const from = Number(slider.value);
        const started = performance.now();
        playing = { frame: 0 };
        const step = (now) => {
            const percent = Math.min(100, from + ((now - started) / (PLAY_SECONDS * 1000)) * 100);
            slider.value = String(percent);
            show(percent);
            if (percent >= 100) {
                stop();
            } else if (playing) {
                playing.frame = requestAnimationFrame(step);
            }
        };
        playing.frame = requestAnimationFrame(step);
        play.textContent = label(element, "pause");
        play.setAttribute("aria-pressed", "true");
    }
    play.setAttribute("aria-pressed", "false");
    play.addEventListener("click", () => (playing ? stop() : start()));
    slider.addEventListener("input", () => {
        stop();
        show(Number(slider.value));
    });
    rapidsBox.addEventListener("change", () => {
        rapids.visible = rapidsBox.checked;
        stage.render();
    });

    show(100);
    stage.frame(box, path.positions);
}

async function mount(element, modules) {
    const kind = element.dataset.kind;
    try {
        if (kind === "model") {
            await mountModel(element, await modules);
        } else if (kind === "toolpath") {
            await mountToolpath(element, await modules);
        } else {
            throw new Error(`unknown viewer kind ${kind}`);
        }
        element.dataset.state = "ready";
    } catch (error) {
        console.error("file viewer:", error);
        showMessage(element, label(element, "failed"), "failed");
    }
}

async function loadModules(needsModel) {
    const [THREE, controls, gltf] = await Promise.all([
        import(THREE_URL),
        import(CONTROLS_URL),
        needsModel ? import(GLTF_URL) : Promise.resolve({}),
    ]);
    return { THREE, OrbitControls: controls.OrbitControls, GLTFLoader: gltf.GLTFLoader };
}

function mountAll() {
    const elements = [...document.querySelectorAll(".file-viewer:not([data-state])")];
    if (!elements.length) {
        return;
    }
    if (!hasWebGL2()) {
        elements.forEach((element) => showMessage(element, label(element, "noWebgl"), "no-webgl"));
        return;
    }
    elements.forEach((element) => {
        element.dataset.state = "loading";
    });
    const modules = loadModules(elements.some((element) => element.dataset.kind === "model"));
    modules.catch(() => {}); // each mount reports the failure in its own element
    elements.forEach((element) => mount(element, modules));
}

if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mountAll);
} else {
    mountAll();
}
