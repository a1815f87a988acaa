// The console's entry point, bundled by control-plane/console/build.ts into dist/app.js.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h, render } from 'preact';
import { App } from './app.js';

const root = document.getElementById('app')!;
// The page's "Loading" line goes: render() adds to what the container holds.
root.textContent = '';
render(h(App, null), root);
