namespace FlMicroservices.Training;

/// <summary>The images of an IDX image file: <see cref="Count"/> images of <see cref="Rows"/> x <see cref="Columns"/> bytes, row-major.</summary>
public sealed record IdxImages(int Count, int Rows, int Columns, byte[] Pixels);
