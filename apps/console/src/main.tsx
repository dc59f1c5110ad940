import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { loadEcharts } from './shared/Chart';
import './shared/styles.css';

// Start downloading the charts' chunk now: it arrives while the sign-in check and the first API calls run.
void loadEcharts();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
