import { useEffect, useState } from "react";
import { api } from "./api.js";

function when(timestamp) {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toLocaleString();
}

/** API tokens: list, create (shown once), revoke. */
export default function Tokens() {
  const [tokens, setTokens] = useState(null);
  const [name, setName] = useState("");
  const [created, setCreated] = useState(null); // {id, name, token}: shown once
  const [error, setError] = useState("");

  async function load() {
    setTokens(await api("GET", "/api/tokens"));
  }

  useEffect(() => {
    load().catch((err) => setError(err.message));
  }, []);

  async function create(event) {
    event.preventDefault();
    setError("");
    try {
      setCreated(await api("POST", "/api/tokens", { name }));
      setName("");
      await load();
    } catch (err) {
      setError(err.message);
    }
  }

  async function revoke(id) {
    setError("");
    try {
      await api("DELETE", `/api/tokens/${id}`);
      setTokens((list) => list.filter((t) => t.id !== id));
      if (created?.id === id) setCreated(null);
    } catch (err) {
      setError(err.message);
    }
  }

  return (
    <section>
      <h2>API tokens</h2>
      <p className="muted">
        Other programs use a token as <code>Authorization: Bearer …</code>.
      </p>
      <form className="row" onSubmit={create}>
        <label htmlFor="token-name" className="visually-hidden">
          Token name
        </label>
        <input
          id="token-name"
          data-testid="token-name"
          placeholder="Token name"
          required
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <button type="submit" data-testid="create-token">
          Create
        </button>
      </form>
      {error && (
        <p role="alert" className="error" data-testid="error">
          {error}
        </p>
      )}
      {created && (
        <div className="new-token" role="status">
          <p>
            Your new token “{created.name}”. Copy it now: it is not shown again.
          </p>
          <code data-testid="new-token">{created.token}</code>
        </div>
      )}
      {tokens === null ? (
        <p>Loading…</p>
      ) : tokens.length === 0 ? (
        <p className="muted">No tokens.</p>
      ) : (
        <ul className="tokens">
          {tokens.map((token) => (
            <li key={token.id} data-testid="token">
              <span className="grow">
                <strong>{token.name}</strong>{" "}
                <span className="muted">
                  ends in …{token.last4}, created {when(token.created_at)}
                </span>
              </span>
              <button
                type="button"
                data-testid="token-revoke"
                aria-label={`Revoke: ${token.name}`}
                onClick={() => revoke(token.id)}
              >
                Revoke
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
