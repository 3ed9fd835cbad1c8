Attribute VB_Name = "KamplanMain"
' kamplan add-in: the one dispatcher.  Every ribbon button (and every button of a macro-enabled
' kamplan workbook) runs a Python action registered in kamplan.xl.actions, by its id.  Saving the
' workbook, running the stage and showing the result happen in Python (kamplan.xl.macros), so this
' module stays the same when actions are added.
Option Explicit

' Ribbon callback of every button in customUI14.xml: the button's id is the action id.
Public Sub KamRibbon(control As IRibbonControl)
    KamRun control.ID
End Sub

' Runs one registered action on the active workbook through xlwings' RunPython.
Public Sub KamRun(ByVal actionId As String)
    If ActiveWorkbook Is Nothing Then
        MsgBox "Open a workbook of your kamplan workspace first (for example a target workbook " & _
               "or the account review), then press the button again.", vbExclamation, "kamplan"
        Exit Sub
    End If
    Application.StatusBar = "kamplan ..."  ' Python replaces it at once, in the workspace's language
    RunPython "import kamplan.xl.macros as m; m.run('" & Replace(actionId, "'", "") & "')"
    ' Python leaves the current workspace in the status bar; clear only what this sub put there
    If CStr(Application.StatusBar) = "kamplan ..." Then Application.StatusBar = False
End Sub
