//! The "Full Example" of Flask-RESTful's quickstart
//! (<https://flask-restful.readthedocs.io/en/latest/quickstart.html#full-example>), on
//! flask-restful: a todo list in memory, with the same URLs, arguments, statuses and
//! messages.
//!
//! ```text
//! cargo run -p todo-api -- run
//! curl http://localhost:5000/todos
//! curl http://localhost:5000/todos/todo3
//! curl http://localhost:5000/todos/todo2 -X DELETE -v
//! curl http://localhost:5000/todos -d "task=something new" -X POST -v
//! curl http://localhost:5000/todos/todo3 -d "task=something different" -X PUT -v
//! ```
//!
//! | Flask-RESTful's example | here |
//! |---|---|
//! | `TODOS = {...}` | [`Todos`], app state seeded with [`Todos::example`] |
//! | `abort_if_todo_doesnt_exist(todo_id)` | [`abort_if_todo_doesnt_exist`] |
//! | `parser.add_argument('task')` | [`TaskArgs`], read with `req.args()` |
//! | `class Todo(Resource)` | [`Todo`] |
//! | `class TodoList(Resource)` | [`TodoList`] |
//! | `api.add_resource(TodoList, '/todos')`, `api.add_resource(Todo, '/todos/<todo_id>')` | [`app`] |
//!
//! The API's OpenAPI document is at <http://localhost:5000/openapi.json>, and a page to read
//! and try it at <http://localhost:5000/docs> (no CDN: it works offline).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use flask::Flask;
use flask_restful::{
    Api, ApiError, ApiRequest, ApiResult, Describe, JsonSchema, Resource, abort, reply,
};
use serde::{Deserialize, Serialize};

/// One todo: `{"task": ...}` (the task may be null, as `reqparse` gives `None` for an
/// argument not sent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct Task {
    /// What to do.
    pub task: Option<String>,
}

/// The todos, by id, in the order they were added (Python's dict).
#[derive(Debug, Default)]
pub struct Todos(Mutex<Vec<(String, Task)>>);

impl Todos {
    /// The example's three todos.
    pub fn example() -> Self {
        let task = |t: &str| Task {
            task: Some(t.to_owned()),
        };
        Todos(Mutex::new(vec![
            ("todo1".to_owned(), task("build an API")),
            ("todo2".to_owned(), task("?????")),
            ("todo3".to_owned(), task("profit!")),
        ]))
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(String, Task)>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, id: &str) -> Option<Task> {
        self.lock()
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, t)| t.clone())
    }

    fn set(&self, id: &str, task: Task) {
        let mut todos = self.lock();
        match todos.iter_mut().find(|(k, _)| k == id) {
            Some((_, t)) => *t = task,
            None => todos.push((id.to_owned(), task)),
        }
    }

    fn remove(&self, id: &str) {
        self.lock().retain(|(k, _)| k != id);
    }

    /// All of them, as `{"todo1": {"task": ...}, ...}`.
    fn all(&self) -> serde_json::Map<String, serde_json::Value> {
        self.lock()
            .iter()
            .map(|(k, t)| (k.clone(), serde_json::json!({ "task": t.task })))
            .collect()
    }

    /// `'todo%i' % (int(max(TODOS.keys()).lstrip('todo')) + 1)`: the greatest id as text,
    /// its number plus one. `None` when there is none (the example then fails with a 500).
    fn next_id(&self) -> Option<String> {
        let todos = self.lock();
        let max = todos.iter().map(|(k, _)| k.as_str()).max()?;
        let number: u64 = max.trim_start_matches(['t', 'o', 'd']).parse().ok()?;
        Some(format!("todo{}", number + 1))
    }
}

/// `parser.add_argument('task')`: an optional string, from the form, the query string or
/// the JSON body.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "flask_restful::schemars")]
pub struct TaskArgs {
    /// The task.
    #[serde(default)]
    pub task: Option<String>,
}

/// `abort(404, message="Todo {} doesn't exist".format(todo_id))` unless it exists.
pub fn abort_if_todo_doesnt_exist(todos: &Todos, todo_id: &str) -> Result<Task, ApiError> {
    todos
        .get(todo_id)
        .ok_or_else(|| abort(404, format!("Todo {todo_id} doesn't exist")))
}

/// `Todo`: shows a single todo item and lets you delete a todo item.
#[flask::view]
#[derive(Debug)]
pub struct Todo(pub Arc<Todos>);

impl Resource for Todo {
    const METHODS: &'static [&'static str] = &["GET", "DELETE", "PUT"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get()
            .summary("Show a todo")
            .response::<Task>(200, "The todo")
            .error(404, "Todo <todo_id> doesn't exist");
        doc.delete()
            .summary("Delete a todo")
            .no_content(204, "Deleted")
            .error(404, "Todo <todo_id> doesn't exist");
        doc.put()
            .summary("Replace or create a todo")
            .args::<TaskArgs>()
            .response::<Task>(201, "The todo as stored");
    }

    async fn get(&self, req: ApiRequest) -> ApiResult {
        let todo_id: String = req.path("todo_id")?;
        Ok(reply(abort_if_todo_doesnt_exist(&self.0, &todo_id)?))
    }

    async fn delete(&self, req: ApiRequest) -> ApiResult {
        let todo_id: String = req.path("todo_id")?;
        abort_if_todo_doesnt_exist(&self.0, &todo_id)?;
        self.0.remove(&todo_id);
        Ok(("", 204).into())
    }

    async fn put(&self, mut req: ApiRequest) -> ApiResult {
        let todo_id: String = req.path("todo_id")?;
        let args: TaskArgs = req.args().await?;
        let task = Task { task: args.task };
        self.0.set(&todo_id, task.clone());
        Ok((task, 201).into())
    }
}

/// `TodoList`: shows a list of all todos, and lets you POST to add new tasks.
#[flask::view]
#[derive(Debug)]
pub struct TodoList(pub Arc<Todos>);

impl Resource for TodoList {
    const METHODS: &'static [&'static str] = &["GET", "POST"];

    fn describe(doc: &mut Describe<'_>) {
        doc.get()
            .summary("List all todos")
            .response::<std::collections::BTreeMap<String, Task>>(200, "The todos by id");
        doc.post()
            .summary("Add a todo")
            .args::<TaskArgs>()
            .response::<Task>(201, "The new todo (its id is todo<max + 1>)");
    }

    async fn get(&self, _req: ApiRequest) -> ApiResult {
        Ok(reply(self.0.all()))
    }

    async fn post(&self, mut req: ApiRequest) -> ApiResult {
        let args: TaskArgs = req.args().await?;
        let todo_id = self.0.next_id().ok_or_else(|| ApiError::new(500))?;
        let task = Task { task: args.task };
        self.0.set(&todo_id, task.clone());
        Ok((task, 201).into())
    }
}

/// The app: the two resources on the example's URLs, over the example's todos.
pub fn app() -> Flask {
    let todos = Arc::new(Todos::example());
    Flask::new(flask::app_root!())
        .config_from_prefixed_env("FLASK")
        // The API keeps no session; `run` still wants a key (it refuses to start without
        // one), kept in the instance folder; FLASK_SECRET_KEY still wins.
        .secret_key_file("secret_key")
        .extension(
            Api::new()
                .add_resource(TodoList(todos.clone()), &["/todos"])
                .add_resource(Todo(todos), &["/todos/<todo_id>"]),
        )
}
