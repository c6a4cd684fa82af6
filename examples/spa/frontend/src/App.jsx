import { useCallback, useEffect, useState } from "react";
import { api, fetchSession, setCsrfToken, setUnauthorizedHandler } from "./api.js";
import { Link, navigate, usePath } from "./router.jsx";
import Login from "./Login.jsx";
import Board from "./Board.jsx";
import Tokens from "./Tokens.jsx";

export default function App() {
  const path = usePath();
  // undefined: not known yet; null: logged out.
  const [user, setUser] = useState(undefined);
  const [startError, setStartError] = useState("");

  const loggedOut = useCallback(async () => {
    setUser(null);
    navigate("/login", { replace: true });
    try {
      await fetchSession(); // a fresh CSRF token for the next login
    } catch {
      // the login form will show the next error
    }
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(loggedOut);
    fetchSession().then(setUser, (err) => setStartError(err.message));
  }, [loggedOut]);

  // The views a state may see: logged out, only /login; logged in, not /login.
  useEffect(() => {
    if (user === null && path !== "/login") navigate("/login", { replace: true });
    if (user && path === "/login") navigate("/", { replace: true });
  }, [user, path]);

  function loggedIn(session) {
    setCsrfToken(session.csrf_token);
    setUser(session.user);
    navigate("/");
  }

  async function logOut() {
    try {
      await api("DELETE", "/api/session");
    } catch {
      // the session below says whether it worked
    }
    try {
      setUser(await fetchSession()); // null, and a fresh CSRF token
    } catch {
      setUser(null);
    }
  }

  let view;
  if (startError) view = <p role="alert" data-testid="error">{startError}</p>;
  else if (user === undefined) view = <p>Loading…</p>;
  else if (user === null) view = <Login onLoggedIn={loggedIn} />;
  else if (path === "/") view = <Board />;
  else if (path === "/tokens") view = <Tokens />;
  else if (path === "/login") view = null; // on its way to the board
  else
    view = (
      <section>
        <h2>Not found</h2>
        <p>
          There is no page here. <Link to="/">Go to the board</Link>.
        </p>
      </section>
    );

  return (
    <>
      <header className="header">
        <h1>Task board</h1>
        {user && (
          <nav aria-label="Main">
            <Link to="/">Board</Link>
            <Link to="/tokens">Tokens</Link>
            <span className="whoami">
              Logged in as <strong data-testid="whoami">{user.username}</strong>
            </span>
            <button type="button" data-testid="logout" onClick={logOut}>
              Log out
            </button>
          </nav>
        )}
      </header>
      <main>{view}</main>
    </>
  );
}
