import { useEffect, useRef, useState } from "react";
import { api } from "./api.js";

/** The board: add, check off, rename, reorder and delete cards; mail a digest. */
export default function Board() {
  const [cards, setCards] = useState(null);
  const [title, setTitle] = useState("");
  const [error, setError] = useState("");

  // Runs a call, showing its error; gives its result, or undefined on an error.
  async function run(call) {
    setError("");
    try {
      return await call();
    } catch (err) {
      setError(err.message);
      return undefined;
    }
  }

  useEffect(() => {
    run(() => api("GET", "/api/cards")).then((list) => list && setCards(list));
  }, []);

  async function add(event) {
    event.preventDefault();
    const card = await run(() => api("POST", "/api/cards", { title }));
    if (card) {
      setCards((list) => [...list, card]);
      setTitle("");
    }
  }

  async function update(id, changes) {
    const card = await run(() => api("PATCH", `/api/cards/${id}`, changes));
    if (card) setCards((list) => list.map((c) => (c.id === id ? card : c)));
    return Boolean(card);
  }

  async function remove(id) {
    const done = await run(async () => (await api("DELETE", `/api/cards/${id}`), true));
    if (done) setCards((list) => list.filter((c) => c.id !== id));
  }

  async function move(index, by) {
    const ids = cards.map((c) => c.id);
    [ids[index], ids[index + by]] = [ids[index + by], ids[index]];
    const list = await run(() => api("PUT", "/api/cards/order", { ids }));
    if (list) setCards(list);
  }

  return (
    <section>
      <h2>Board</h2>
      <form className="row" onSubmit={add}>
        <label htmlFor="new-card-title" className="visually-hidden">
          New card
        </label>
        <input
          id="new-card-title"
          data-testid="new-card-title"
          placeholder="Add a card"
          required
          value={title}
          onChange={(e) => setTitle(e.target.value)}
        />
        <button type="submit" data-testid="add-card">
          Add
        </button>
      </form>
      {error && (
        <p role="alert" className="error" data-testid="error">
          {error}
        </p>
      )}
      {cards === null ? (
        <p>Loading…</p>
      ) : cards.length === 0 ? (
        <p className="muted">No cards yet.</p>
      ) : (
        <ol className="cards">
          {cards.map((card, index) => (
            <Card
              key={card.id}
              card={card}
              first={index === 0}
              last={index === cards.length - 1}
              onUpdate={(changes) => update(card.id, changes)}
              onMove={(by) => move(index, by)}
              onDelete={() => remove(card.id)}
            />
          ))}
        </ol>
      )}
      <Digest onError={setError} />
    </section>
  );
}

function Card({ card, first, last, onUpdate, onMove, onDelete }) {
  const [draft, setDraft] = useState(null); // the title being edited, or null
  const editing = draft !== null;

  async function save(event) {
    event.preventDefault();
    if (await onUpdate({ title: draft })) setDraft(null);
  }

  return (
    <li className={card.done ? "card done" : "card"} data-testid="card">
      <input
        type="checkbox"
        data-testid="card-done"
        aria-label={`Done: ${card.title}`}
        checked={card.done}
        onChange={(e) => onUpdate({ done: e.target.checked })}
      />
      {editing ? (
        <form className="row grow" onSubmit={save}>
          <input
            data-testid="card-title-input"
            aria-label="Title"
            required
            autoFocus
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
          />
          <button type="submit" data-testid="card-save">
            Save
          </button>
          <button type="button" onClick={() => setDraft(null)}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <span className="title grow" data-testid="card-title">
            {card.title}
          </span>
          <button type="button" data-testid="card-edit" onClick={() => setDraft(card.title)}>
            Edit
          </button>
        </>
      )}
      <button
        type="button"
        data-testid="card-up"
        aria-label={`Move up: ${card.title}`}
        disabled={first}
        onClick={() => onMove(-1)}
      >
        Up
      </button>
      <button
        type="button"
        data-testid="card-down"
        aria-label={`Move down: ${card.title}`}
        disabled={last}
        onClick={() => onMove(1)}
      >
        Down
      </button>
      <button
        type="button"
        data-testid="card-delete"
        aria-label={`Delete: ${card.title}`}
        onClick={onDelete}
      >
        Delete
      </button>
    </li>
  );
}

/** "Email me a digest": sends the job, then polls its state every 500 ms until it is done. */
function Digest({ onError }) {
  const [state, setState] = useState("");
  const [detail, setDetail] = useState("");
  const [busy, setBusy] = useState(false);
  const timer = useRef(null);

  useEffect(() => () => clearTimeout(timer.current), []);

  async function send() {
    setBusy(true);
    onError("");
    try {
      const { task_id } = await api("POST", "/api/digest");
      setState("PENDING");
      setDetail("");
      poll(task_id);
    } catch (err) {
      onError(err.message);
      setBusy(false);
    }
  }

  function poll(taskId) {
    timer.current = setTimeout(async () => {
      try {
        const job = await api("GET", `/api/digest/${encodeURIComponent(taskId)}`);
        setState(job.state);
        setDetail(job.detail ?? "");
        if (job.state === "PENDING") poll(taskId);
        else setBusy(false);
      } catch (err) {
        onError(err.message);
        setBusy(false);
      }
    }, 500);
  }

  return (
    <div className="digest">
      <button type="button" data-testid="digest" disabled={busy} onClick={send}>
        Email me a digest
      </button>
      <p aria-live="polite">
        {state && (
          <>
            Digest: <strong data-testid="digest-state">{state}</strong>
            {detail && <span data-testid="digest-detail"> — {detail}</span>}
          </>
        )}
      </p>
    </div>
  );
}
