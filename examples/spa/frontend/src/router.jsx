// Client-side routing on the History API: the path is the state.
import { useEffect, useState } from "react";

const listeners = new Set();

export function navigate(to, { replace = false } = {}) {
  if (to === window.location.pathname) return;
  if (replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  listeners.forEach((listener) => listener(to));
}

export function usePath() {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname);
    listeners.add(setPath);
    window.addEventListener("popstate", onPop);
    return () => {
      listeners.delete(setPath);
      window.removeEventListener("popstate", onPop);
    };
  }, []);
  return path;
}

/** A link that changes the view without reloading; a modified click opens as usual. */
export function Link({ to, children, ...props }) {
  function onClick(event) {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
  }
  const current = window.location.pathname === to ? "page" : undefined;
  return (
    <a href={to} onClick={onClick} aria-current={current} {...props}>
      {children}
    </a>
  );
}
