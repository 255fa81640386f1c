/* The demo page's snippet, for this very server (a file: the page's CSP allows no inline script). */
document.getElementById("snippet").textContent =
  '<script src="' + location.origin + '/widget.js" data-api="' + location.origin + '" async></' + 'script>';
