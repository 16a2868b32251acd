namespace Zephyr.Alignment.Training;

/// <summary>How a run claims its output folder; see <see cref="OutputDirectoryGuard"/>.</summary>
public enum OutputDirectoryMode
{
    /// <summary>
    /// A fresh run: the folder must hold no artefact of an earlier run (Hugging Face's check before training without
    /// <c>overwrite_output_dir</c>), or the claim fails with an <see cref="OutputDirectoryInUseException"/>.
    /// </summary>
    New,

    /// <summary>The run continues the one whose artefacts are in the folder; nothing is removed.</summary>
    Resume,

    /// <summary>
    /// The run replaces the earlier one (<c>overwrite_output_dir</c>): the earlier artefacts are deleted before the new
    /// run writes anything, so the two are never interleaved. Files that are not artefacts are left alone.
    /// </summary>
    Overwrite,
}
