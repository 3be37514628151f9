// The frame (the council's name and logo, the site's links, the privacy notice and contact)
// for pages that are plain HTML, such as the 404 page, which may be served at any address.
import { layout } from './layout.js';

layout({ root: '/' });
