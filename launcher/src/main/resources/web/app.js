// ActorFarm web page: the jobs table, the submit form and a job's page with the live HLS
// preview (hls.js) and the final video. Talks to the same API as the CLI.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const tokenInput = $('token');
  tokenInput.value = localStorage.getItem('actorfarm.token') || '';
  tokenInput.addEventListener('change', () => {
    localStorage.setItem('actorfarm.token', tokenInput.value);
    route();
  });

  function authHeaders() {
    const t = tokenInput.value;
    return t ? { Authorization: 'Bearer ' + t } : {};
  }
  function withToken(url) {
    const t = tokenInput.value;
    return t ? url + (url.includes('?') ? '&' : '?') + 'access_token=' + encodeURIComponent(t) : url;
  }
  async function api(path, options) {
    const r = await fetch(path, Object.assign({ headers: authHeaders() }, options || {}));
    const body = await r.json().catch(() => ({ error: r.statusText }));
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  }
  function pct(p) { return (p * 100).toFixed(1) + '%'; }
  function eta(s) { return s == null ? '' : s < 1 ? '' : 'ETA ' + Math.round(s) + ' s'; }
  function shown(j) { return j.paused ? 'PAUSED' : j.state; }
  function share(j) { return j.share == null ? '' : Math.round(j.share * 100) + '%'; }
  const FINISHED = ['COMPLETED', 'FAILED', 'CANCELLED'];

  // ---- jobs table ----
  let listTimer = null;
  async function refreshJobs() {
    try {
      const jobs = await api('/jobs');
      const body = $('jobs').querySelector('tbody');
      body.replaceChildren(...jobs.map((j) => {
        const tr = document.createElement('tr');
        tr.dataset.job = j.id;
        tr.innerHTML =
          '<td class="id"></td><td class="state"></td>' +
          '<td class="priority"></td><td class="share"></td>' +
          '<td><progress max="1"></progress> <span class="pct"></span></td>' +
          '<td class="eta"></td><td class="when"></td><td><a>open</a></td>';
        tr.querySelector('.id').textContent = j.id;
        const st = tr.querySelector('.state');
        st.textContent = shown(j);
        st.classList.add(shown(j));
        tr.querySelector('.priority').textContent = j.priority;
        tr.querySelector('.share').textContent = share(j);
        tr.querySelector('progress').value = j.progress;
        tr.querySelector('.pct').textContent = pct(j.progress);
        tr.querySelector('.eta').textContent = eta(j.eta_seconds);
        tr.querySelector('.when').textContent = new Date(j.submitted_at).toLocaleString();
        tr.querySelector('a').href = '#/jobs/' + encodeURIComponent(j.id);
        return tr;
      }));
      $('jobs-error').textContent = '';
    } catch (e) {
      $('jobs-error').textContent = e.message;
    }
  }

  // ---- the cue editor: rows of (time, emotion, intensity) and the knobs, sent as the `cues` field
  const EMOTIONS = ['neutral', 'happy', 'sad', 'angry', 'surprised', 'fearful', 'disgusted', 'contemptuous'];
  const KNOBS = [
    ['expression-scale', 'expression_scale', 1],
    ['head-motion', 'head_motion_scale', 1],
    ['lip-sync', 'lip_sync', 1],
    ['blink-rate', 'blink_rate', 17],
  ];

  function addCue(time, emotion, intensity) {
    const tr = document.createElement('tr');
    tr.innerHTML =
      '<td><input class="cue-time" type="number" min="0" step="0.1"></td>' +
      '<td><select class="cue-emotion"></select></td>' +
      '<td><input class="cue-intensity" type="number" min="0" max="1" step="0.1"></td>' +
      '<td><button type="button" class="cue-remove">remove</button></td>';
    const select = tr.querySelector('.cue-emotion');
    EMOTIONS.forEach((e) => select.add(new Option(e, e)));
    tr.querySelector('.cue-time').value = time;
    select.value = emotion;
    tr.querySelector('.cue-intensity').value = intensity;
    tr.querySelector('.cue-remove').addEventListener('click', () => tr.remove());
    $('cues').querySelector('tbody').append(tr);
  }

  $('cue-add').addEventListener('click', () => {
    const rows = $('cues').querySelectorAll('tbody tr');
    const last = rows.length ? parseFloat(rows[rows.length - 1].querySelector('.cue-time').value) || 0 : -5;
    addCue(last + 5, rows.length ? 'happy' : 'neutral', 0.8);
  });

  /** The editor's direction as a cue sheet, or null when it says nothing. */
  function direction() {
    const controls = {};
    KNOBS.forEach(([id, name, dflt]) => {
      const v = parseFloat($(id).value);
      if (!Number.isNaN(v) && v !== dflt) controls[name] = v;
    });
    if ($('gaze').value === 'wander') controls.gaze_wander = 1;
    const cues = Array.from($('cues').querySelectorAll('tbody tr')).map((tr) => ({
      time: parseFloat(tr.querySelector('.cue-time').value) || 0,
      emotion: tr.querySelector('.cue-emotion').value,
      intensity: parseFloat(tr.querySelector('.cue-intensity').value),
    }));
    if (!cues.length && !Object.keys(controls).length) return null;
    return { controls, cues };
  }

  $('submit-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const form = new FormData();
    form.append('portrait', $('portrait').files[0]);
    if ($('audio').files[0]) form.append('audio', $('audio').files[0]);
    if ($('driving').files[0]) form.append('driving', $('driving').files[0]);
    if ($('fps').value) form.append('fps', $('fps').value);
    form.append('seed', $('seed').value || '0');
    form.append('priority', $('priority').value || '50');
    form.append('crop', $('crop').checked ? 'true' : 'false');
    const d = direction();
    if (d) form.append('cues', JSON.stringify(d));
    $('submit-status').textContent = 'Uploading…';
    $('submit').disabled = true;
    try {
      const job = await api('/jobs', { method: 'POST', body: form });
      $('submit-status').textContent = 'Submitted ' + job.id;
      location.hash = '#/jobs/' + encodeURIComponent(job.id);
    } catch (e) {
      $('submit-status').textContent = 'Refused: ' + e.message;
    } finally {
      $('submit').disabled = false;
    }
  });

  // ---- one job ----
  let jobTimer = null;
  let hls = null;
  let shownJob = null;
  let finalLoaded = false;
  let previewStarted = false;

  function startPreview(id) {
    const video = $('preview');
    const src = '/jobs/' + encodeURIComponent(id) + '/preview/index.m3u8';
    if (window.Hls && Hls.isSupported()) {
      hls = new Hls({
        startPosition: 0,
        liveDurationInfinity: true,
        xhrSetup: (xhr) => {
          const t = tokenInput.value;
          if (t) xhr.setRequestHeader('Authorization', 'Bearer ' + t);
        },
      });
      hls.loadSource(src);
      hls.attachMedia(video);
      hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
      hls.on(Hls.Events.ERROR, (ev, data) => {
        if (data.fatal && hls) {
          // Started before the first window landed, or a network error: the next refresh retries.
          hls.destroy();
          hls = null;
          previewStarted = false;
        }
      });
    } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
      video.src = withToken(src);
      video.play().catch(() => {});
    }
  }

  async function refreshJob(id) {
    try {
      const j = await api('/jobs/' + encodeURIComponent(id));
      $('job-state').textContent = shown(j);
      $('job-state').className = 'state ' + shown(j);
      const running = !FINISHED.includes(j.state);
      $('job-pause').hidden = !running || j.paused;
      $('job-resume').hidden = !running || !j.paused;
      $('job-priority').disabled = !running;
      $('job-priority-set').disabled = !running;
      if (document.activeElement !== $('job-priority')) $('job-priority').value = j.priority;
      $('job-share').textContent = running && j.share != null
        ? 'share of the render workers: ' + share(j) : '';
      $('job-progress').value = j.progress;
      $('job-percent').textContent = pct(j.progress);
      $('job-eta').textContent = eta(j.eta_seconds);
      $('job-error').textContent = j.error || '';
      $('job-cancel').hidden = ['COMPLETED', 'FAILED', 'CANCELLED'].includes(j.state);
      if (!previewStarted && (j.frames_done > 0 || j.state === 'COMPLETED')) {
        previewStarted = true;
        startPreview(id);
      }
      if (j.output_url && !finalLoaded) {
        finalLoaded = true;
        const url = withToken(j.output_url);
        $('final').src = url;
        $('final-note').hidden = true;
        $('download').href = url;
        $('download').hidden = false;
      }
      // A finished job needs no more polling, once its preview (if it has frames) is started.
      if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(j.state) && (previewStarted || j.frames_done === 0)) {
        clearInterval(jobTimer);
        jobTimer = null;
      }
    } catch (e) {
      $('job-error').textContent = e.message;
    }
  }

  async function control(path, body) {
    try {
      await api('/jobs/' + encodeURIComponent(shownJob) + path, body === undefined
        ? { method: 'POST' }
        : { method: 'POST', headers: Object.assign(authHeaders(), { 'Content-Type': 'application/json' }), body: JSON.stringify(body) });
      refreshJob(shownJob);
    } catch (e) {
      $('job-error').textContent = e.message;
    }
  }
  $('job-pause').addEventListener('click', () => control('/pause'));
  $('job-resume').addEventListener('click', () => control('/resume'));
  $('job-priority-set').addEventListener('click',
    () => control('/priority', { priority: Number($('job-priority').value) }));

  $('job-cancel').addEventListener('click', async () => {
    try {
      await api('/jobs/' + encodeURIComponent(shownJob) + '/cancel', { method: 'POST' });
      refreshJob(shownJob);
    } catch (e) {
      $('job-error').textContent = e.message;
    }
  });

  function stopJobView() {
    if (jobTimer) clearInterval(jobTimer);
    jobTimer = null;
    if (hls) hls.destroy();
    hls = null;
    shownJob = null;
    finalLoaded = false;
    previewStarted = false;
    $('final').removeAttribute('src');
    $('final-note').hidden = false;
    $('download').hidden = true;
  }

  function route() {
    const m = location.hash.match(/^#\/jobs\/(.+)$/);
    stopJobView();
    if (listTimer) clearInterval(listTimer);
    listTimer = null;
    if (m) {
      const id = decodeURIComponent(m[1]);
      shownJob = id;
      $('jobs-view').hidden = true;
      $('job-view').hidden = false;
      $('job-title').textContent = 'Job ' + id;
      refreshJob(id);
      jobTimer = setInterval(() => refreshJob(id), 1000);
    } else {
      $('job-view').hidden = true;
      $('jobs-view').hidden = false;
      refreshJobs();
      listTimer = setInterval(refreshJobs, 2000);
    }
  }
  window.addEventListener('hashchange', route);
  route();
})();
