import { useState } from "react";
import { api } from "./api.js";

/** Log in, or (switched) register; both log the user in. */
export default function Login({ onLoggedIn }) {
  const [mode, setMode] = useState("login");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const registering = mode === "register";

  async function submit(event) {
    event.preventDefault();
    setError("");
    setBusy(true);
    try {
      const session = await api("POST", registering ? "/api/users" : "/api/session", {
        username,
        password,
      });
      onLoggedIn(session);
    } catch (err) {
      setError(err.message);
      setBusy(false);
    }
  }

  function switchMode() {
    setMode(registering ? "login" : "register");
    setError("");
  }

  return (
    <section className="login">
      <h2>{registering ? "Create an account" : "Log in"}</h2>
      <form onSubmit={submit}>
        <label htmlFor="username">Username</label>
        <input
          id="username"
          data-testid="username"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          type="password"
          data-testid="password"
          autoComplete={registering ? "new-password" : "current-password"}
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p role="alert" className="error" data-testid="error">
            {error}
          </p>
        )}
        <button type="submit" data-testid={registering ? "register" : "login"} disabled={busy}>
          {registering ? "Register" : "Log in"}
        </button>
      </form>
      <p>
        {registering ? "Already have an account? " : "No account yet? "}
        <button
          type="button"
          className="link"
          data-testid={registering ? "to-login" : "to-register"}
          onClick={switchMode}
        >
          {registering ? "Log in" : "Register"}
        </button>
      </p>
    </section>
  );
}
