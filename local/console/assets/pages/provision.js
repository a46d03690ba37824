/**
 * New workspace: the provision form. It is checked by the stack with the CLI's own code
 * (`POST /local/requests/check`: the contract's schema, the CLI's messages), each problem shown
 * beside its field; a good request is published with PutEvents, as `workspaces provision` does,
 * and the page moves to the workspace.
 */
import { ApiError, publishRequest } from '../api.js';
import { append, h, replace } from '../dom.js';

/** The form's fields: the CLI's flag names. */
const FIELDS = [
  { flag: 'workspace-id', label: 'Workspace id', required: true },
  { flag: 'org-id', label: 'Org id', required: true, value: 'org-1' },
  { flag: 'runtime', label: 'Runtime', required: true, value: 'codex' },
  { flag: 'kind', label: 'Kind', options: ['workspace', 'platform'] },
  { flag: 'tier', label: 'Tier', placeholder: 'default' },
  { flag: 'template', label: 'Template', placeholder: 'none' },
  { flag: 'secrets', label: 'Secret scopes', placeholder: 'org, workspace' },
  { flag: 'env', label: 'Environment', multiline: true, placeholder: 'NAME=VALUE, one a line' },
  // v1.3: persistent data; the CLI's --persistent and --size-gib.
  { flag: 'persistent', label: 'Persistent data', checkbox: true },
  { flag: 'size-gib', label: 'Data size (GiB)', placeholder: "the runtime's" },
];

/** The contract's `storage` problems come under both storage flags; they are shown by the size. */
const STORAGE_FLAG = '--persistent/--size-gib';

export function provisionPage(view) {
  const inputs = new Map();
  const errors = new Map();
  const formError = h('div', { class: 'form-error', id: 'form-error', role: 'alert' });
  const form = h('form', { class: 'provision', id: 'provision-form', novalidate: true });
  for (const field of FIELDS) {
    const id = `field-${field.flag}`;
    const input = field.checkbox
      ? h('input', { id, name: field.flag, type: 'checkbox' })
      : field.options
        ? h(
            'select',
            { id, name: field.flag },
            field.options.map((option) => h('option', { value: option }, option)),
          )
        : field.multiline
          ? h('textarea', { id, name: field.flag, rows: 3, placeholder: field.placeholder })
          : h('input', {
              id,
              name: field.flag,
              type: 'text',
              placeholder: field.placeholder,
              value: field.value,
              autocomplete: 'off',
            });
    const error = h('div', { class: 'field-error', id: `error-${field.flag}` });
    inputs.set(field.flag, input);
    errors.set(`--${field.flag}`, error);
    if (field.flag === 'size-gib') errors.set(STORAGE_FLAG, error);
    append(form, [
      h('label', { for: id }, field.label, field.required ? ' *' : ''),
      h('div', {}, input, error),
    ]);
  }
  const submit = h('button', { type: 'submit', id: 'provision' }, 'Provision');
  append(form, [h('span'), h('div', {}, submit)]);
  append(view, [
    h('h1', {}, 'New workspace'),
    h(
      'p',
      { class: 'muted' },
      'Publishes Workspace Provision Requested with PutEvents, checked against the contract as `workspaces provision` checks it.',
    ),
    formError,
    form,
  ]);

  /** The form as the CLI's flags: empty fields are left out, as flags not given. */
  function flags() {
    const values = {};
    for (const [flag, input] of inputs) {
      if (input.type === 'checkbox') {
        if (input.checked) values[flag] = true;
        continue;
      }
      const value = input.value.trim();
      if (value === '') continue;
      values[flag] =
        flag === 'env'
          ? value
              .split('\n')
              .map((line) => line.trim())
              .filter(Boolean)
          : value;
    }
    return values;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    replace(formError);
    for (const error of errors.values()) replace(error);
    for (const input of inputs.values()) input.removeAttribute('aria-invalid');
    try {
      const { detail } = await publishRequest('provision', flags());
      window.location.hash = `#/workspaces/${encodeURIComponent(detail.workspaceId)}`;
    } catch (error) {
      const body = error instanceof ApiError ? error.body : undefined;
      replace(formError, h('pre', {}, error.message));
      for (const problem of body?.problems ?? []) {
        const slot = errors.get(problem.flag);
        if (!slot) continue;
        append(slot, [h('div', {}, problem.message)]);
        const flag = problem.flag === STORAGE_FLAG ? 'size-gib' : problem.flag.slice(2);
        inputs.get(flag)?.setAttribute('aria-invalid', 'true');
      }
    } finally {
      submit.disabled = false;
    }
  });
  inputs.get('workspace-id').focus();
  return { stop() {} };
}
