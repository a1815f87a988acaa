// The console's entry point, bundled by control-plane/console/build.ts into dist/app.js.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { h, render } from 'preact';
import { App } from './app.js';

render(h(App, null), document.getElementById('app')!);
