import type { StoredWorkflow } from '../api/types.js';
import { shortVersion, versionOptions } from '../model/workflow-view.js';
import { navigate } from '../router.js';

/** Props of {@link VersionPicker}. */
export interface VersionPickerProps {
  workflowId: string;
  /** Every saved version, oldest first (`GET /api/workflows/:id/versions`). */
  versions: readonly StoredWorkflow[];
  /** The version shown. */
  shown: string;
  /** The workflow's current version. */
  current: string | undefined;
}

/** A `<select>` of a workflow's versions, newest first, the current one marked; choosing one opens it. */
export function VersionPicker({ workflowId, versions, shown, current }: VersionPickerProps) {
  const options = versionOptions(versions, current);
  // A version the list does not have (an unknown ?version=) still shows as selected.
  if (!options.some((o) => o.version === shown)) {
    options.unshift({ version: shown, label: shortVersion(shown), current: false });
  }
  return (
    <div class="version-picker">
      <label for="version-picker">Version</label>
      <select
        id="version-picker"
        value={shown}
        onChange={(e) =>
          navigate({
            page: 'workflow',
            workflowId,
            version: (e.currentTarget as HTMLSelectElement).value,
          })
        }
      >
        {options.map((o) => (
          <option key={o.version} value={o.version}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}
