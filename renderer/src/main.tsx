import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './components/App.js';
import { createBridge } from './bridge/index.js';
import { useApp } from './store/app-store.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);
root.render(
  <StrictMode>
    <App />
  </StrictMode>,
);

try {
  const bridge = createBridge((c) => useApp.getState().setConnection(c));
  void useApp.getState().init(bridge);
} catch (e) {
  useApp.getState().setFatal(e instanceof Error ? e.message : String(e));
}
