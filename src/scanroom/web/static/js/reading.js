/* Reading page: lesion marks from the viewer become a list with a confidence each; regions (AI marks, or the
   truth after submission) are drawn by the viewer. Nothing here knows the truth before submission: the server
   only puts truth regions into data-regions once the case is submitted. */
(function () {
  'use strict';
  const host = document.getElementById('scanroom-viewer');
  const list = document.getElementById('mark-list');
  const field = document.getElementById('marks-field');
  const empty = document.getElementById('no-marks');
  const ratings = new Map(); // annotation uid -> confidence 1..5
  const LABELS = { 1: '1 · probably not', 2: '2 · possibly', 3: '3 · probably', 4: '4 · very likely', 5: '5 · definite' };
  let marks = [];

  function centre(a) {
    const pts = a.points_image || [];
    if (!pts.length) return null;
    if (a.tool === 'EllipseAnnotation' || a.tool === 'EllipticalROI') {
      const xs = pts.map((p) => p[0]); const ys = pts.map((p) => p[1]);
      return { x: (Math.min(...xs) + Math.max(...xs)) / 2, y: (Math.min(...ys) + Math.max(...ys)) / 2, outline: pts };
    }
    if (a.tool === 'ArrowAnnotate') return { x: pts[0][0], y: pts[0][1] };
    if (a.tool === 'LesionMark' || a.tool === 'Probe') return { x: pts[0][0], y: pts[0][1] };
    return null;
  }

  function sync() {
    if (!field) return;
    field.value = JSON.stringify(marks.map((m) => ({ x: m.x, y: m.y, frame: m.frame, rating: ratings.get(m.uid) || 3,
      series_uid: host.dataset.seriesUid, outline: m.outline || undefined })));
  }

  function render() {
    if (!list) return;
    list.replaceChildren();
    marks.forEach((m, n) => {
      const li = document.createElement('li');
      const label = document.createElement('label');
      label.textContent = `Mark ${n + 1} (image ${m.frame + 1}) confidence `;
      const select = document.createElement('select');
      select.name = `rating-${n + 1}`;
      select.setAttribute('aria-label', `Confidence for mark ${n + 1}`);
      for (const value of [1, 2, 3, 4, 5]) {
        const opt = document.createElement('option');
        opt.value = String(value); opt.textContent = LABELS[value];
        if ((ratings.get(m.uid) || 3) === value) opt.selected = true;
        select.appendChild(opt);
      }
      select.addEventListener('change', () => { ratings.set(m.uid, Number(select.value)); sync(); });
      label.appendChild(select);
      li.appendChild(label);
      list.appendChild(li);
    });
    if (empty) empty.hidden = marks.length > 0;
    sync();
  }

  if (host) {
    host.addEventListener('scanroom:annotations-changed', (event) => {
      const annotations = (event.detail && event.detail.annotations) || [];
      marks = [];
      for (const a of annotations) {
        const c = centre(a);
        if (!c) continue;
        marks.push({ uid: a.uid, x: c.x, y: c.y, frame: (a.imageIndex || 0), outline: c.outline });
      }
      render();
    });
    const regions = JSON.parse(host.dataset.regions || '[]');
    const start = () => {
      const api = window.scanroomViewer;
      if (!api) { window.setTimeout(start, 100); return; }
      api.ready.then(() => {
        if (regions.length) api.setRegions(regions);
        if (list) api.setTool('mark');
        host.dataset.readingReady = 'true';
      });
    };
    start();
  }
})();
