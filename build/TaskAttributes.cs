namespace QcowKit.Build;

/// <summary>The name a task is run by (<c>--target=NAME</c>).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TaskNameAttribute(string name) : Attribute
{
    /// <summary>The task's name.</summary>
    public string Name { get; } = name;
}

/// <summary>A task that must run before the task this attribute is on.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true)]
public sealed class IsDependentOnAttribute(Type task) : Attribute
{
    /// <summary>The task class depended on.</summary>
    public Type Task { get; } = task;
}

/// <summary>One line describing the task, listed by <c>dotnet run build.cs -- --description</c>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class TaskDescriptionAttribute(string description) : Attribute
{
    /// <summary>The description.</summary>
    public string Description { get; } = description;
}
