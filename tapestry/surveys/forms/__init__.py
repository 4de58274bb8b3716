"""The surveys forms, one module per activity, like the views: answering, authoring, results
and interchange."""
