import { useEffect, useRef, useState } from 'react';
import { useApp } from '../store/app-store.js';
import { STAGES } from '../../../shared/stages.js';
import { pathsFromDrop } from '../lib/drop.js';
import { typing } from '../lib/keys.js';
import { Icon } from './Icon.js';
import { Library } from './Library.js';
import { EpisodeView } from './EpisodeView.js';
import { OpenPathDialog } from './OpenPathDialog.js';
import { Toasts } from './Toasts.js';
import { SettingsDialog } from './SettingsDialog.js';
import { SetupDialog } from './SetupDialog.js';
import { PeopleDialog } from './PeopleDialog.js';
import { usePeople } from '../store/people-store.js';

/** Follows the system's light/dark preference live, so the theme button names the other theme. */
function usePrefersDark(): boolean {
  const [dark, setDark] = useState(() => matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const mq = matchMedia('(prefers-color-scheme: dark)');
    const on = () => setDark(mq.matches);
    mq.addEventListener('change', on);
    return () => mq.removeEventListener('change', on);
  }, []);
  return dark;
}

function dragCarriesItems(e: DragEvent): boolean {
  const types = e.dataTransfer ? Array.from(e.dataTransfer.types) : [];
  return types.includes('Files') || types.includes('text/uri-list');
}

export function App() {
  const fatal = useApp((s) => s.fatal);
  const connection = useApp((s) => s.connection);
  const settings = useApp((s) => s.settings);
  const openDialog = useApp((s) => s.openDialog);
  const settingsOpen = useApp((s) => s.settingsOpen);
  const setupOpen = useApp((s) => s.setupOpen);
  const appInfo = useApp((s) => s.appInfo);
  const peopleOpen = usePeople((s) => s.open);
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);

  // Drop anywhere on the window: one or many episode folders or video files.
  useEffect(() => {
    const enter = (e: DragEvent) => {
      if (!dragCarriesItems(e)) return;
      e.preventDefault();
      depth.current++;
      setDragging(true);
    };
    const over = (e: DragEvent) => {
      if (!dragCarriesItems(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
    };
    const leave = () => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      depth.current = 0;
      setDragging(false);
      const { bridge, addPaths, toast } = useApp.getState();
      if (!bridge || !e.dataTransfer) return;
      const paths = pathsFromDrop(e.dataTransfer, (f) => bridge.pathForFile(f));
      if (paths.length === 0) {
        toast({
          kind: 'error',
          title: 'Nothing to add',
          detail: 'The drop carried no file paths this window can read. Use “Open folder…” and type the path instead.',
        });
        return;
      }
      void addPaths(paths);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);

  // Shortcuts: Ctrl/Cmd+O opens, R runs all stages of the selected episode.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const s = useApp.getState();
      if ((e.ctrlKey || e.metaKey) && !e.altKey && e.key.toLowerCase() === 'o') {
        e.preventDefault();
        void s.pickFolder();
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || s.openDialog || s.settingsOpen || s.setupOpen) return;
      if (e.key === 'r' || e.key === 'R') {
        const id = s.selectedId;
        const ep = s.episodes.find((x) => x.episodeId === id);
        if (!id || !ep || ep.problem) return;
        e.preventDefault();
        if (s.mode === 'local') void s.runAll(id);
        else void s.submitQueue(id, [...STAGES]);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const theme = settings?.theme ?? 'system';
  const systemDark = usePrefersDark();
  const nextTheme = theme === 'system' ? (systemDark ? 'light' : 'dark') : theme === 'dark' ? 'light' : 'dark';

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true" />
          <span className="brand-name">Screentime</span>
        </div>
        <div className="topbar-actions">
          <button type="button" className="btn" onClick={() => void useApp.getState().pickFolder()} title="Open folder (Ctrl+O)">
            <Icon name="folder" /> Open folder…
          </button>
          <button type="button" className="btn" onClick={() => usePeople.getState().setOpen(true)} title="People library">
            People
          </button>
          <button type="button" className="btn btn-icon" aria-label="Settings" title="Settings" onClick={() => useApp.getState().setSettingsOpen(true)}>
            <Icon name="gear" />
          </button>
          <button
            type="button"
            className="btn btn-icon"
            aria-label={`Switch to ${nextTheme} theme`}
            title={`Switch to ${nextTheme} theme`}
            onClick={() => void useApp.getState().setTheme(nextTheme)}
          >
            <Icon name={nextTheme === 'dark' ? 'moon' : 'sun'} />
          </button>
        </div>
      </header>
      {connection === 'closed' && appInfo?.host !== 'electron' ? (
        <div className="banner banner-error banner-row" role="alert">
          <span>Disconnected from Screentime. Any run started from this window has stopped.</span>
          <button type="button" className="btn btn-small" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      ) : null}
      {fatal ? (
        <div className="banner banner-error" role="alert">
          {fatal}
        </div>
      ) : null}
      <div className="workspace">
        <Library />
        <main className="main" aria-label="Episode">
          <EpisodeView />
        </main>
      </div>
      {dragging ? (
        <div className="drop-overlay" aria-hidden="true">
          <div className="drop-card">
            <Icon name="folder" size={32} />
            <div className="drop-title">Drop episode folders or video files</div>
            <div className="drop-sub">They are added to the library; nothing is copied or changed.</div>
          </div>
        </div>
      ) : null}
      {openDialog ? <OpenPathDialog /> : null}
      {settingsOpen ? <SettingsDialog /> : null}
      {setupOpen ? <SetupDialog /> : null}
      {peopleOpen ? <PeopleDialog /> : null}
      <Toasts />
    </div>
  );
}
