// Follow a meeting's live state (GET /api/v1/meetings/{id}/stream, Server-Sent Events): the
// projector, the organiser's meeting page, the officers' paper page and the phones in the hall
// all use this. The browser reconnects by itself after a dropped connection; when the server
// answered with an error instead (a restart behind a proxy, say), EventSource gives up, so we
// start a new one, waiting a little longer each time. Every (re)connection begins with the whole
// current state.
import { API } from './api.js';

const FIRST_WAIT = 1000; // milliseconds before the first new connection
const LONGEST_WAIT = 30000;

/**
 * `onState(state)` gets each state (see docs/api.md, "The live state"); `onConnection(true|false)`
 * hears when the stream is up or down. Returns { stop() }.
 */
export function followMeeting(meetingId, { onState, onConnection = () => {} }) {
  let source = null;
  let wait = FIRST_WAIT;
  let timer = null;
  let stopped = false;
  let shown = null; // {generation, admitted, voted}: counts never go backwards within a generation

  function connect() {
    timer = null;
    if (stopped) return;
    source = new EventSource(`${API}/meetings/${encodeURIComponent(meetingId)}/stream`);
    source.addEventListener('open', () => { onConnection(true); });
    source.addEventListener('state', (event) => {
      wait = FIRST_WAIT;
      let state;
      try { state = JSON.parse(event.data); } catch { return; }
      if (!state || !state.meeting) return;
      const generation = Number(state.meeting.generation) || 0;
      // Two instances may answer a reconnection a moment apart: never show fewer than before
      // within one generation (a reset starts the next generation, and its counts from 0).
      if (shown && shown.generation === generation) {
        state.admitted = Math.max(Number(state.admitted) || 0, shown.admitted);
        state.voted = Math.max(Number(state.voted) || 0, shown.voted);
      }
      shown = { generation, admitted: Number(state.admitted) || 0, voted: Number(state.voted) || 0 };
      onConnection(true);
      onState(state);
    });
    source.addEventListener('error', () => {
      onConnection(false);
      if (source.readyState === EventSource.CLOSED && !stopped && !timer) {
        source.close();
        timer = setTimeout(connect, wait);
        wait = Math.min(wait * 2, LONGEST_WAIT);
      }
    });
  }

  function stop() {
    stopped = true;
    clearTimeout(timer);
    if (source) source.close();
  }

  // A page that is left closes its stream at once, so the server does not keep it open; one
  // that comes back from the browser's back-forward cache follows the meeting again.
  window.addEventListener('pagehide', () => { clearTimeout(timer); timer = null; if (source) source.close(); });
  window.addEventListener('pageshow', (event) => { if (event.persisted && !stopped) connect(); });
  connect();
  return { stop };
}

/**
 * The join link a projector shows for a meeting: `{this site}/go#JOINCD`. `root` is the path
 * from the page back to the site root ('' or '../').
 */
export function joinLink(joinCode, root = '') {
  return `${new URL(`${root}go`, document.baseURI).href}#${joinCode}`;
}
